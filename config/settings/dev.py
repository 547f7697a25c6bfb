"""Development: `make run`. Needs no environment at all."""
from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)

# Static files straight from the source folders (no collectstatic in dev).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Dossiers are signed in development too, with a self-signed key `make run` creates (dossier_signing_devkey).
DOSSIER_SIGNING_KEY = env("DOSSIER_SIGNING_KEY", default=str(BASE_DIR / "var" / "dossier-signing" / "dev-key.pem"))
DOSSIER_SIGNING_CERT = env("DOSSIER_SIGNING_CERT", default=str(BASE_DIR / "var" / "dossier-signing" / "dev-cert.pem"))
