from __future__ import annotations

from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.asks import service as asks
from cloud.clock import now_s
from cloud.deps import USER_DEPENDENCIES, ClientIp, CurrentUser, Db, Limiter, Settings
from cloud.orgs.service import organisations_of
from cloud.users import phones, service, tokens
from cloud.users.models import User
from cloud.users.schemas import (
    LoginIn,
    MembershipOut,
    MeOut,
    PhoneCodeIn,
    PhoneIn,
    RefreshIn,
    ResetConfirmIn,
    ResetRequestIn,
    SignupIn,
    TokenIn,
    TokensOut,
)


def _out(pair: tokens.TokenPair) -> TokensOut:
    return TokensOut(
        user_id=pair.user_id,
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


def me_out(db: Session, user: User) -> MeOut:
    return MeOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified_at is not None,
        is_admin=user.is_admin,
        organisations=[
            MembershipOut(org_id=org.id, name=org.name, role=role)
            for org, role in organisations_of(db, user.id)
        ],
        phone=user.phone,
        phone_verified=user.phone_verified_at is not None,
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/signup", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def signup(
        self,
        data: JSONBody[SignupIn],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> TokensOut:
        """A buyer account, or with ``organisation`` an organizer account owning it."""
        rate_limiter.enforce("signup.ip", client_ip)
        now = now_s()
        user = service.sign_up(
            db,
            data.email,
            data.password,
            data.name,
            organisation=data.organisation,
            organisation_approved=not settings.approve_organisations,
            public_url=settings.public_url,
            now=now,
        )
        return _out(tokens.start(db, user.id, settings, now))

    @post("/login", status_code=200, sync_to_thread=True, opt={"access": Access.PUBLIC})
    def login(
        self,
        data: JSONBody[LoginIn],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> TokensOut:
        # Every attempt counts, not only failed ones: counting after the password check would
        # let a burst of parallel guesses all pass before the first failure is recorded.
        rate_limiter.enforce_each(("login.ip", client_ip), ("login.account", data.email))
        user = service.authenticate(db, data.email, data.password)
        return _out(tokens.start(db, user.id, settings, now_s()))

    @post("/refresh", status_code=200, sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def refresh(self, data: JSONBody[RefreshIn], db: Db, settings: Settings) -> TokensOut:
        """Spend the refresh token for a new pair. A token used twice revokes its family."""
        return _out(tokens.rotate(db, data.refresh_token, settings, now_s()))

    @post("/logout", status_code=204, sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def logout(self, data: JSONBody[RefreshIn], db: Db) -> None:
        """The refresh token and every token rotated from it stop working."""
        tokens.revoke_family_of(db, data.refresh_token, now_s())

    @post("/verify", status_code=200, sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def verify(self, data: JSONBody[TokenIn], db: Db) -> MeOut:
        """Confirm the email address with the token from the verification link."""
        return me_out(db, service.verify_email(db, data.token, now_s()))

    @post("/password-reset", status_code=202, sync_to_thread=True, opt={"access": Access.PUBLIC})
    def password_reset(
        self,
        data: JSONBody[ResetRequestIn],
        state: State,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Response[None]:
        """Email a reset link; the same answer, as fast, whether or not the account exists:
        the account is looked up after it."""
        rate_limiter.enforce_each(
            ("password_reset.ip", client_ip),
            ("password_reset.account", service.normal_email(data.email)),
        )
        return Response(
            None,
            status_code=202,
            background=asks.answer_later(
                state.session_factory, settings, asks.PASSWORD_RESET, data.email
            ),
        )

    @post(
        "/password-reset/confirm",
        status_code=204,
        sync_to_thread=True,
        opt={"access": Access.CAPABILITY},
    )
    def password_reset_confirm(self, data: JSONBody[ResetConfirmIn], db: Db) -> None:
        service.reset_password(db, data.token, data.password, now_s())

    @post("/me/verify", status_code=202, sync_to_thread=True, dependencies=USER_DEPENDENCIES)
    def resend_verification(
        self, db: Db, api_user: CurrentUser, settings: Settings, rate_limiter: Limiter
    ) -> None:
        """Email a new link to confirm the account's address (none once it is confirmed)."""
        rate_limiter.enforce("verify_email.account", str(api_user.id))
        service.resend_verification(db, api_user, settings.public_url, now_s())

    @get("/me", sync_to_thread=True, dependencies=USER_DEPENDENCIES)
    def me(self, db: Db, api_user: CurrentUser) -> MeOut:
        return me_out(db, api_user)

    @put("/me/phone", status_code=202, sync_to_thread=True, dependencies=USER_DEPENDENCIES)
    def set_phone(
        self, data: JSONBody[PhoneIn], db: Db, api_user: CurrentUser, rate_limiter: Limiter
    ) -> MeOut:
        """Text a six-digit code to the number; it counts once the code comes back."""
        rate_limiter.enforce("phone_code.account", str(api_user.id))
        phones.request_code(db, api_user, data.phone, now_s())
        return me_out(db, api_user)

    @post("/me/phone/confirm", status_code=200, sync_to_thread=True, dependencies=USER_DEPENDENCIES)
    def confirm_phone(
        self, data: JSONBody[PhoneCodeIn], db: Db, api_user: CurrentUser, rate_limiter: Limiter
    ) -> MeOut:
        rate_limiter.enforce("phone_confirm.account", str(api_user.id))
        return me_out(db, phones.confirm(db, api_user, data.code, now_s()))

    @delete("/me/phone", sync_to_thread=True, dependencies=USER_DEPENDENCIES)
    def remove_phone(self, db: Db, api_user: CurrentUser) -> None:
        phones.remove(db, api_user, now_s())
