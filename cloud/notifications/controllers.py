"""An organizer's messages to the ticket holders of an event: viewers see them and whom
they reach, managers send them."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from cloud.clock import now_s
from cloud.deps import CurrentMember, Db, OrganizerId
from cloud.events.service import own_event
from cloud.notifications import holders
from cloud.notifications.models import HolderMessage
from cloud.notifications.outbox import Progress, progress
from cloud.notifications.schemas import HolderMessageIn, HolderMessageOut, RecipientsOut


def message_out(message: HolderMessage, done: Progress) -> HolderMessageOut:
    return HolderMessageOut(
        message_id=message.id,
        subject=message.subject,
        body=message.body,
        created_at=message.created_at,
        emails=message.emails,
        texts=message.texts,
        queued=done.queued,
        sent=done.sent,
        dead=done.dead,
    )


class HolderMessagesController(Controller):
    path = "/api/v1/events/{event_id:int}/messages"
    tags = ["messages"]

    @get("/", sync_to_thread=True)
    def index(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> list[HolderMessageOut]:
        return [
            message_out(message, done)
            for message, done in holders.sent_messages(db, organizer_id, event_id)
        ]

    @get("/recipients", sync_to_thread=True)
    def recipients(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> RecipientsOut:
        own_event(db, organizer_id, event_id)
        reach = holders.recipients(db, event_id)
        return RecipientsOut(len(reach.emails), len(reach.phones), reach.unreachable)

    @post("/", sync_to_thread=True)
    def send(
        self,
        event_id: FromPath[int],
        data: JSONBody[HolderMessageIn],
        db: Db,
        member: CurrentMember,
    ) -> HolderMessageOut:
        sent = holders.message_holders(
            db,
            member.org_id,
            event_id,
            member.user_id,
            subject=data.subject,
            body=data.body,
            texts=data.texts,
            key=data.key,
            now=now_s(),
        )
        done = progress(db, [sent.message.id]).get(sent.message.id, Progress())
        db.commit()
        return message_out(sent.message, done)
