"""What every HTTP answer crosses: errors, CORS, request log, metrics, OpenAPI,
health, embed assets, cached reads."""
