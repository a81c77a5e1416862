// Front-end entry point, loaded by every page as
//   <script type="module" src="/static/app.js"></script>
// (never inline script: the Content-Security-Policy forbids it).
//
// The GOV.UK page template normally adds these body classes with an inline
// <script>; here the module does it. Module scripts only run in browsers that
// GOV.UK Frontend supports, so this matches its `'noModule' in ...` check.
// initAll() initialises nothing unless `govuk-frontend-supported` is present.
import { initAll } from './govuk-frontend/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
