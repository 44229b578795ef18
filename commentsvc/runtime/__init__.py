"""Running the service: gunicorn embedding, the embedded Redis server, workers."""
