"""Request and response schemas: the HTTP contract, not the tables; one module per resource."""
