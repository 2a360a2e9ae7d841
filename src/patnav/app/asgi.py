"""The ASGI entry point uvicorn imports (``patnav.app.asgi:app``): the platform configured from the environment."""

from patnav.app.web import create_app

app = create_app()
