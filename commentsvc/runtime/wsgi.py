"""The WSGI entry point for running under any server: ``gunicorn commentsvc.runtime.wsgi:app``.

Needs COMMENTSVC_REDIS_URL; ``commentsvc serve`` runs gunicorn itself and adds an
embedded Redis server when none is configured."""

from commentsvc import create_app, start_background_work

app = create_app()
start_background_work(app)
