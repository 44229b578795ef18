"""Storage: the database, the Redis connection, the cache of public pages."""
