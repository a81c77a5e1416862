"""Signing in and out, accepting an invitation, and what waits on a person."""

from flask import redirect, render_template, request, session, url_for

from .. import per_request
from ..models import utcnow
from ..ratelimit import count_failed_sign_in, sign_ins_refused_for
from ..services.context import Context
from ..services.errors import DomainError, NotFound
from ..services.my_work import my_work
from ..services.signin import SignInRefused, accept_invitation, caller_of, invited, sign_in
from .blueprint import CSRF_MESSAGE, blp, error_page
from .forms import PasswordForm, SignInForm, SignOutForm
from .session import open_session, safe_next, signed_in, signed_in_person


@blp.route("/")
def home():
    target = "pages.my_work" if signed_in_person() else "pages.sign_in"
    return redirect(url_for(target))


@blp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page():
    form = SignInForm()
    status, problem = 200, None
    if form.validate_on_submit():
        wait = sign_ins_refused_for()
        if wait is not None:
            status = 429
            problem = f"Too many failed sign-ins from your address. Try again in {wait} seconds."
        else:
            try:
                person = sign_in(per_request.session(), form.email.data, form.password.data)
            except SignInRefused as exc:
                count_failed_sign_in()
                status, problem = 401, str(exc)
            else:
                open_session(person)
                return redirect(safe_next(request.args.get("next"), url_for("pages.my_work")))
    elif form.errors:
        status = 400
    signed_out = request.args.get("signed_out") == "1"
    page = render_template("pages/sign_in.html", form=form, problem=problem, signed_out=signed_out)
    return page, status


@blp.route("/sign-out", methods=["POST"])
def sign_out():
    form = SignOutForm()
    if not form.validate_on_submit():
        return error_page(400, CSRF_MESSAGE)
    session.clear()
    return redirect(url_for("pages.sign_in", signed_out="1"))


@blp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    database_session = per_request.session()
    try:
        person = invited(database_session, token, utcnow())
    except NotFound as exc:
        return error_page(404, exc.message)
    form = PasswordForm()
    if form.validate_on_submit():
        context = Context(database_session, caller_of(person, "invitation"))
        try:
            accept_invitation(context, token, form.password.data)
        except DomainError as exc:
            form.password.errors = [*form.password.errors, exc.message]
        else:
            open_session(person)
            return redirect(url_for("pages.my_work"))
    status = 400 if form.errors else 200
    return render_template("pages/invitation.html", form=form, invited=person), status


@blp.route("/my-work", endpoint="my_work")
@signed_in()
def my_work_page():
    work = my_work(per_request.context())
    return render_template("pages/my_work.html", work=work)
