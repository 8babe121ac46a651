"""A user's FastAPI app mounted beside the API (http.app), with a lifespan handler."""
import contextlib

from fastapi import FastAPI, Request


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"greeting": "started by lifespan"}


app = FastAPI(lifespan=lifespan)


@app.get("/hello")
async def hello(name: str = "world"):
    return {"hello": name}


@app.get("/lifespan-state")
async def lifespan_state(request: Request):
    return {"greeting": request.state.greeting}


@app.get("/info")
async def info():
    """Overrides the API's /info: custom routes win."""
    return {"custom": True}


@app.get("/whoami")
async def whoami(request: Request):
    """The caller, when the route is authenticated (http.enable_custom_route_auth)."""
    user = request.scope.get("user")
    return {"identity": user["identity"] if user else None}
