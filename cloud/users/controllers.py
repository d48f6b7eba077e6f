from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from cloud.deps import Db, Settings
from cloud.users import service
from cloud.users.schemas import LoginIn, LoginOut, SignupIn, SignupOut
from cloud.users.security import issue_access_token


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/signup", sync_to_thread=True)
    def signup(self, data: JSONBody[SignupIn], db: Db, settings: Settings) -> SignupOut:
        user = service.sign_up(db, data.email, data.password, data.name)
        token = issue_access_token(user.id, settings.jwt_secret, settings.access_token_ttl_s)
        return SignupOut(user_id=user.id, access_token=token)

    @post("/login", status_code=200, sync_to_thread=True)
    def login(self, data: JSONBody[LoginIn], db: Db, settings: Settings) -> LoginOut:
        user = service.authenticate(db, data.email, data.password)
        token = issue_access_token(user.id, settings.jwt_secret, settings.access_token_ttl_s)
        return LoginOut(access_token=token)
