from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import msgspec
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from scanner_app.core import ScannerCore
from scanner_app.ui.search_panel import AttendeeModel, SearchPanel
from scanner_app.ui.texts import SYMBOLS
from shared.messages import Direction, ManifestPage, TicketEntry
from shared.reasons import Reason, Severity
from shared.rules import Verdict
from shared.token import ticket_ref
from tests.scanner.gate import Gate

pytestmark = pytest.mark.gui

GREEN = QColor("#1b8a3a")
RED = QColor("#c62828")
AMBER = QColor("#f2a900")


def sell(
    gate: Gate,
    holder: str,
    *,
    email: str = "",
    order: str = "",
    revoked: bool = False,
    max_entries: int = 1,
) -> tuple[str, str]:
    """A ticket in the gate's manifest; returns its QR text and ticket id."""
    claims = gate.maker.claims()
    ref = ticket_ref(claims.ticket_id)
    gate.store.apply_manifest_page(
        ManifestPage(
            next_cursor=f"after-{ref}",
            has_more=False,
            tickets=[
                TicketEntry(
                    ticket_id=ref,
                    event_id=claims.event_id,
                    type_id=claims.type_id,
                    type_name="General admission",
                    holder_name=holder,
                    holder_email=email,
                    order_ref=order,
                    revoked=revoked,
                    max_entries=max_entries,
                )
            ],
        )
    )
    return gate.maker.token(claims), ref


@pytest.fixture
def core(gate: Gate) -> ScannerCore:
    core = gate.core()
    core.configure(replace(core.settings, staff="Kim"))
    return core


@pytest.fixture
def panel(qtbot: QtBot, core: ScannerCore) -> Iterator[SearchPanel]:
    panel = SearchPanel(core)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel


def search(qtbot: QtBot, panel: SearchPanel, text: str, rows: int) -> None:
    panel.search_field.clear()
    qtbot.keyClicks(panel.search_field, text)
    qtbot.waitUntil(lambda: panel.results.rowCount() == rows, timeout=3000)


def shown(panel: SearchPanel, column: int) -> list[str]:
    model = panel.results
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]  # type: ignore[misc]


def status_colour(panel: SearchPanel, row: int = 0) -> QColor:
    model = panel.results
    colour = model.data(model.index(row, AttendeeModel.STATUS), Qt.ItemDataRole.BackgroundRole)
    assert isinstance(colour, QColor)
    return colour


def pick(qtbot: QtBot, panel: SearchPanel, holder: str) -> None:
    row = shown(panel, AttendeeModel.NAME).index(holder)
    panel.table.selectRow(row)
    qtbot.waitUntil(lambda: panel.holder_label.text() == holder, timeout=3000)


def admit(qtbot: QtBot, panel: SearchPanel, reason: str) -> None:
    panel.reason_field.clear()
    qtbot.keyClicks(panel.reason_field, reason)
    qtbot.mouseClick(panel.admit_button, Qt.MouseButton.LeftButton)


def test_typing_a_name_lists_the_matching_tickets(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    _, ada_ref = sell(gate, "Ada Lovelace", email="ada@example.org", order="B-1042")
    sell(gate, "Ada Byron", email="byron@example.org", order="B-7")
    sell(gate, "Grace Hopper", email="grace@navy.example", order="C-1")

    search(qtbot, panel, "ada", rows=2)

    assert sorted(shown(panel, AttendeeModel.NAME)) == ["Ada Byron", "Ada Lovelace"]
    search(qtbot, panel, "ada lov", rows=1)
    assert shown(panel, AttendeeModel.EMAIL) == ["ada@example.org"]
    assert shown(panel, AttendeeModel.ORDER) == ["B-1042"]
    assert shown(panel, AttendeeModel.TYPE) == ["General admission"]
    assert shown(panel, AttendeeModel.TICKET) == [ada_ref]
    [status] = shown(panel, AttendeeModel.STATUS)
    assert "Not admitted yet" in status
    assert status.startswith(SYMBOLS[Severity.ADMIT])
    assert status_colour(panel) == GREEN


def test_search_by_order_number_and_accent_free_spelling(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    sell(gate, "Zoë Brontë", order="B-1042")

    search(qtbot, panel, "B-1042", rows=1)
    search(qtbot, panel, "zoe", rows=1)

    assert shown(panel, AttendeeModel.NAME) == ["Zoë Brontë"]


def test_empty_search_and_no_match_say_so(qtbot: QtBot, panel: SearchPanel, gate: Gate) -> None:
    sell(gate, "Ada Lovelace")

    assert panel.list_stack.currentWidget() is panel.empty_label
    assert "Type a name" in panel.empty_label.text()

    qtbot.keyClicks(panel.search_field, "nobody")
    qtbot.waitUntil(lambda: "No ticket matches" in panel.empty_label.text(), timeout=3000)
    assert "\u201cnobody\u201d" in panel.empty_label.text()
    assert panel.list_stack.currentWidget() is panel.empty_label


def test_admitting_with_a_reason_records_a_manual_scan(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    token, ref = sell(gate, "Grace Hopper")
    search(qtbot, panel, "grace", rows=1)
    pick(qtbot, panel, "Grace Hopper")
    assert panel.admit_button.text() == "Admit"

    with qtbot.waitSignal(panel.verdict_recorded, timeout=3000) as recorded:
        admit(qtbot, panel, "phone battery dead, ID checked")

    verdict = recorded.args[0]
    assert isinstance(verdict, Verdict) and verdict.reason is Reason.ADMITTED
    [record] = gate.store.movements(ref)
    assert record.manual
    assert record.note == "phone battery dead, ID checked"
    assert record.staff == "Kim"
    assert record.gate == "North"
    assert "admitted" in panel.message_label.text()
    assert panel.reason_field.text() == ""
    # The list now tells the next person at this gate that Grace is in.
    [status] = shown(panel, AttendeeModel.STATUS)
    assert "Admitted" in status and "at North" in status
    assert status_colour(panel) == AMBER
    assert gate.core().scan(token).reason is Reason.ALREADY_ADMITTED


def test_admitting_without_a_reason_records_nothing(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    _, ref = sell(gate, "Grace Hopper")
    search(qtbot, panel, "grace", rows=1)
    pick(qtbot, panel, "Grace Hopper")

    with qtbot.assertNotEmitted(panel.verdict_recorded):
        admit(qtbot, panel, "   ")

    assert "reason" in panel.message_label.text()
    assert gate.store.movements(ref) == []


def test_already_admitted_ticket_is_admitted_again_only_after_confirming(
    qtbot: QtBot, panel: SearchPanel, core: ScannerCore, gate: Gate
) -> None:
    token, ref = sell(gate, "Grace Hopper")
    core.scan(token)
    search(qtbot, panel, "grace", rows=1)
    pick(qtbot, panel, "Grace Hopper")
    assert "Already admitted at North" in panel.verdict_label.text()

    with qtbot.assertNotEmitted(panel.verdict_recorded):
        admit(qtbot, panel, "went out for a smoke, stamp checked")

    assert panel.confirm_box.isVisible()
    question = panel.confirm_label.text()
    assert "Already admitted at North" in question and "by this scanner" in question
    assert question.endswith("Admit anyway?")
    assert len(gate.store.movements(ref)) == 1

    with qtbot.waitSignal(panel.verdict_recorded, timeout=3000) as recorded:
        qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)

    assert recorded.args[0].reason is Reason.ADMITTED
    assert not panel.confirm_box.isVisible()
    first, second = sorted(gate.store.movements(ref), key=lambda r: r.hlc)
    assert not first.manual
    assert second.manual and second.note == "went out for a smoke, stamp checked"


def test_declining_the_overrule_records_nothing(
    qtbot: QtBot, panel: SearchPanel, core: ScannerCore, gate: Gate
) -> None:
    token, ref = sell(gate, "Grace Hopper")
    core.scan(token)
    search(qtbot, panel, "grace", rows=1)
    pick(qtbot, panel, "Grace Hopper")
    admit(qtbot, panel, "says a friend has the ticket")
    assert panel.confirm_box.isVisible()

    with qtbot.assertNotEmitted(panel.verdict_recorded):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    assert not panel.confirm_box.isVisible()
    assert panel.admit_button.isVisible()
    assert len(gate.store.movements(ref)) == 1


def test_revoked_ticket_is_shown_red_and_cannot_be_admitted(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    _, ref = sell(gate, "Ada Byron", revoked=True)
    search(qtbot, panel, "byron", rows=1)

    [status] = shown(panel, AttendeeModel.STATUS)
    assert "Revoked" in status and status.startswith(SYMBOLS[Severity.REJECT])
    assert status_colour(panel) == RED
    pick(qtbot, panel, "Ada Byron")
    assert "refunded or cancelled" in panel.verdict_label.text()
    assert not panel.admit_button.isEnabled()

    with qtbot.assertNotEmitted(panel.verdict_recorded):
        panel.reason_field.setText("insists it was paid")
        panel.reason_field.returnPressed.emit()
        qtbot.mouseClick(panel.admit_button, Qt.MouseButton.LeftButton)

    assert gate.store.movements(ref) == []
    assert not panel.confirm_box.isVisible()


def test_ticket_revoked_while_on_screen_is_refused_not_offered_an_overrule(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    _, ref = sell(gate, "Ada Byron")
    search(qtbot, panel, "byron", rows=1)
    pick(qtbot, panel, "Ada Byron")
    listed = gate.store.ticket(ref)
    assert listed is not None
    # A sync brings the refund while the staff member is typing the reason.
    refunded = msgspec.structs.replace(listed, revoked=True)
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="refund", has_more=False, tickets=[refunded])
    )

    with qtbot.assertNotEmitted(panel.verdict_recorded):
        admit(qtbot, panel, "phone battery dead")

    assert "refunded or cancelled" in panel.message_label.text()
    assert not panel.confirm_box.isVisible()
    assert gate.store.movements(ref) == []


def test_at_an_exit_gate_the_button_lets_the_holder_out(
    qtbot: QtBot, panel: SearchPanel, core: ScannerCore, gate: Gate
) -> None:
    token, ref = sell(gate, "Grace Hopper")
    core.scan(token)
    core.configure(replace(core.settings, direction=Direction.EXIT))
    search(qtbot, panel, "grace", rows=1)
    pick(qtbot, panel, "Grace Hopper")
    assert panel.admit_button.text() == "Let out"

    with qtbot.waitSignal(panel.verdict_recorded, timeout=3000) as recorded:
        admit(qtbot, panel, "ticket left at home, wristband checked")

    assert recorded.args[0].reason is Reason.EXITED
    assert [r.reason for r in sorted(gate.store.movements(ref), key=lambda r: r.hlc)] == [
        Reason.ADMITTED,
        Reason.EXITED,
    ]
    [status] = shown(panel, AttendeeModel.STATUS)
    assert "Left" in status


def test_multi_entry_ticket_shows_the_entries_used(
    qtbot: QtBot, panel: SearchPanel, core: ScannerCore, gate: Gate
) -> None:
    token, _ = sell(gate, "Grace Hopper", max_entries=3)
    core.scan(token)

    search(qtbot, panel, "grace", rows=1)

    [status] = shown(panel, AttendeeModel.STATUS)
    assert "Entry 1 of 3 used" in status
    assert status_colour(panel) == GREEN


def test_enter_with_a_single_match_picks_it(qtbot: QtBot, panel: SearchPanel, gate: Gate) -> None:
    sell(gate, "Grace Hopper")
    panel.search_field.setText("hopper")

    qtbot.keyClick(panel.search_field, Qt.Key.Key_Return)

    assert panel.holder_label.text() == "Grace Hopper"
    assert panel.ticket_box.isVisible()


def test_escape_and_the_close_button_ask_to_close(qtbot: QtBot, panel: SearchPanel) -> None:
    panel.focus_search()

    with qtbot.waitSignal(panel.close_requested, timeout=1000):
        qtbot.keyClick(panel.search_field, Qt.Key.Key_Escape)
    with qtbot.waitSignal(panel.close_requested, timeout=1000):
        qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)


def test_focus_search_shows_scans_made_meanwhile(
    qtbot: QtBot, panel: SearchPanel, core: ScannerCore, gate: Gate
) -> None:
    token, _ = sell(gate, "Grace Hopper")
    search(qtbot, panel, "grace", rows=1)
    assert "Not admitted yet" in shown(panel, AttendeeModel.STATUS)[0]
    core.scan(token)

    panel.focus_search()

    assert "Admitted" in shown(panel, AttendeeModel.STATUS)[0]
    assert panel.search_field.hasFocus()
    assert panel.search_field.selectedText() == "grace"


def test_a_long_list_says_only_the_first_matches_are_shown(
    qtbot: QtBot, panel: SearchPanel, gate: Gate
) -> None:
    tickets = []
    for i in range(60):
        claims = gate.maker.claims()
        tickets.append(
            TicketEntry(
                ticket_id=ticket_ref(claims.ticket_id),
                event_id=claims.event_id,
                type_id=1,
                type_name="General admission",
                holder_name=f"Guest {i}",
            )
        )
    gate.store.apply_manifest_page(
        ManifestPage(next_cursor="guests", has_more=False, tickets=tickets)
    )

    search(qtbot, panel, "guest", rows=50)

    assert panel.limit_label.isVisible()
    search(qtbot, panel, "guest 7", rows=1)
    assert not panel.limit_label.isVisible()
