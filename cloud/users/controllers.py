from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from cloud.deps import ClientIp, Db, Limiter, Settings
from cloud.users import service
from cloud.users.schemas import LoginIn, LoginOut, SignupIn, SignupOut
from cloud.users.security import issue_access_token


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/signup", sync_to_thread=True)
    def signup(
        self,
        data: JSONBody[SignupIn],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> SignupOut:
        rate_limiter.enforce("signup.ip", client_ip)
        user = service.sign_up(db, data.email, data.password, data.name)
        token = issue_access_token(user.id, settings.jwt_secret, settings.access_token_ttl_s)
        return SignupOut(user_id=user.id, access_token=token)

    @post("/login", status_code=200, sync_to_thread=True)
    def login(
        self,
        data: JSONBody[LoginIn],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> LoginOut:
        # Every attempt counts, not only failed ones: counting after the password check would
        # let a burst of parallel guesses all pass before the first failure is recorded.
        rate_limiter.enforce("login.ip", client_ip)
        rate_limiter.enforce("login.account", data.email)
        user = service.authenticate(db, data.email, data.password)
        token = issue_access_token(user.id, settings.jwt_secret, settings.access_token_ttl_s)
        return LoginOut(access_token=token)
