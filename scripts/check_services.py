"""Exit 0 when the PostgreSQL and Redis URLs given as arguments both answer, else print why and exit 1."""
import sys


def main(pg_url, redis_url):
    from urllib.parse import urlparse, urlunparse

    import psycopg
    import redis

    problems = []
    admin = urlunparse(urlparse(pg_url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"PostgreSQL at {admin}: {exc}")
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"Redis at {redis_url}: {exc}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
