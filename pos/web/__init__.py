"""One blueprint per area. AREAS is what create_app registers and the OpenAPI document asks for
JSON routes (api is registered apart, under /api/v1); the commands are in pos/cli/."""
from . import audit, auth, bank, catalogue, display, portal, reports, sell, setup, shifts, stock, sync

AREAS = (auth, setup, catalogue, stock, sell, display, shifts, bank, audit, sync, reports, portal)
