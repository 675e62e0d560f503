"""The HTTP face: one module per area, each with `bp` for its pages and, when it has JSON routes,
`api_bp` under /api/v1/<area>. AREAS is what create_app registers and the OpenAPI document asks for
JSON routes (api.py, the shared JSON API, is registered apart, under /api/v1); the commands are in
pos/cli/. The other modules are shared by the areas: access (roles, the current booth), errors
(statuses, wants_json, the JSON error shape), forms, reporting (downloads), schemas and apispec (the
API's checked edge), templating (filters, error pages), security_headers, static_files."""
from . import audit, auth, bank, catalogue, display, portal, reports, sell, setup, shifts, stock, sync

AREAS = (auth, setup, catalogue, stock, sell, display, shifts, bank, audit, sync, reports, portal)
