"""The web platform: pages (Jinja2 + htmx) and the REST API (``/api/v1``) over search, projects and indicators.

A thin face (design.md layer 10): accounts, organisations, jobs and sharing live in the app database; every
patent figure comes from the layers below.
"""
