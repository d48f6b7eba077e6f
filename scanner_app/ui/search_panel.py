"""Find an attendee by name, email, order or ticket number and admit (or let out) by hand.

For the holder whose phone died or whose printout will not scan. Every hit says what this gate
would do with the ticket right now (colour, glyph and words) and what happened to it before.
A manual admission is recorded like a scan, marked manual, with the reason staff typed. A
verdict that needs judgement (already admitted, wrong gate, too early) is overruled only
after staff confirm it in so many words; a refusal (revoked, another event, expired) stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from scanner_app.core import Attendee, ManualAdmitRefused, ScannerCore
from scanner_app.errors import ScannerError
from scanner_app.ui.texts import BACKGROUNDS, FOREGROUNDS, SYMBOLS, reason_title
from shared.messages import Direction, ScanRecord, TicketEntry
from shared.reasons import Reason, Severity
from shared.rules import Verdict, admission_order

SEARCH_DELAY_MS = 200  # search as staff type, but not on every single key of a fast typist
SEARCH_LIMIT = 50
TOUCH_HEIGHT = 56  # px: a fingertip, with a glove on
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class AttendeeRow:
    """One search hit as the list shows it: the attendee, the words for its gate-side
    status, and its movements (admissions and exits) in the order the rules count them."""

    attendee: Attendee
    status: str
    movements: tuple[ScanRecord, ...]

    @property
    def severity(self) -> Severity:
        return self.attendee.verdict.severity


class AttendeeModel(QAbstractTableModel):
    """The hits of one search, one row per ticket."""

    NAME, STATUS, EMAIL, ORDER, TYPE, TICKET = range(6)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AttendeeRow] = []
        self._headers = (
            self.tr("Name"),
            self.tr("Status"),
            self.tr("Email"),
            self.tr("Order"),
            self.tr("Ticket type"),
            self.tr("Ticket"),
        )

    def set_rows(self, rows: list[AttendeeRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row(self, index: int) -> AttendeeRow:
        return self._rows[index]

    def find(self, ticket_id: str) -> int | None:
        for i, row in enumerate(self._rows):
            if row.attendee.ticket.ticket_id == ticket_id:
                return i
        return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt API)
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STATUS:
            return row.status
        if column == self.STATUS and role == Qt.ItemDataRole.BackgroundRole:
            return BACKGROUNDS[row.severity]
        if column == self.STATUS and role == Qt.ItemDataRole.ForegroundRole:
            return FOREGROUNDS[row.severity]
        return None

    def _text(self, row: AttendeeRow, column: int) -> str:
        ticket = row.attendee.ticket
        if column == self.STATUS:
            return f"{SYMBOLS[row.severity]}  {row.status}"
        return {
            self.NAME: ticket.holder_name,
            self.EMAIL: ticket.holder_email,
            self.ORDER: ticket.order_ref,
            self.TYPE: ticket.type_name,
            self.TICKET: ticket.ticket_id,
        }[column]


class StatusDelegate(QStyledItemDelegate):
    """Keeps the status cell in its verdict colour on the selected row too: the colour is
    the message, the selection highlight would hide it."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: _Index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.state &= ~QStyle.StateFlag.State_Selected
        font = QFont(option.font)
        font.setBold(True)
        option.font = font


def _big(widget: QWidget, point_size: int, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSize(point_size)
    font.setBold(bold)
    widget.setFont(font)


def _plain_label(point_size: int = 14, bold: bool = False) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # holder names are not ours to render as HTML
    _big(label, point_size, bold)
    return label


def _touch_button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setMinimumHeight(TOUCH_HEIGHT)
    button.setMinimumWidth(TOUCH_HEIGHT * 2)
    _big(button, 16, bold=True)
    return button


def _paint(widget: QWidget, severity: Severity | None) -> None:
    """Give a label or frame the colours of a severity (None: the normal window colours)."""
    if severity is None:
        widget.setAutoFillBackground(False)
        widget.setPalette(QPalette())
        return
    palette = QPalette(widget.palette())
    palette.setColor(QPalette.ColorRole.Window, BACKGROUNDS[severity])
    palette.setColor(QPalette.ColorRole.WindowText, FOREGROUNDS[severity])
    widget.setAutoFillBackground(True)
    widget.setPalette(palette)


# Starting widths (px): name and status first and in full, the rest scrolls if it must.
_COLUMN_WIDTHS = {
    AttendeeModel.NAME: 230,
    AttendeeModel.STATUS: 270,
    AttendeeModel.EMAIL: 200,
    AttendeeModel.ORDER: 110,
    AttendeeModel.TYPE: 150,
    AttendeeModel.TICKET: 120,
}


class SearchPanel(QWidget):
    """Attendee search with manual admission; the gate window embeds it."""

    verdict_recorded = Signal(object)  # the Verdict of a manual admission, once recorded
    close_requested = Signal()

    def __init__(self, core: ScannerCore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._core = core
        self._selected: AttendeeRow | None = None
        # A verdict staff were asked to overrule: (ticket id, their reason).
        self._pending: tuple[str, str] | None = None
        _big(self, 14)

        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(self.tr("Name, email, order or ticket number"))
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setMinimumHeight(TOUCH_HEIGHT + 8)
        _big(self.search_field, 20)
        self.close_button = _touch_button(self.tr("Close"))

        self.results = AttendeeModel(self)
        self.table = self._build_table()
        self.empty_label = _plain_label(18)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.limit_label = _plain_label(13)
        self.limit_label.setText(
            self.tr("Only the first {0} matches are shown. Type more to narrow them down.").format(
                SEARCH_LIMIT
            )
        )
        self.limit_label.hide()
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty_label)
        self.list_stack.addWidget(self.table)
        results_box = QVBoxLayout()
        results_box.addWidget(self.list_stack, 1)
        results_box.addWidget(self.limit_label)

        self.details = self._build_details()

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)

        top = QHBoxLayout()
        top.addWidget(self.search_field, 1)
        top.addWidget(self.close_button)
        body = QHBoxLayout()
        body.addLayout(results_box, 5)
        body.addWidget(self.details, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self.search_field.textChanged.connect(self._typed)
        self.search_field.returnPressed.connect(self._search_now)
        self._search_timer.timeout.connect(self.refresh)
        self.close_button.clicked.connect(self.close_requested)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.admit_button.clicked.connect(self._admit)
        self.reason_field.returnPressed.connect(self._admit)
        self.confirm_button.clicked.connect(self._overrule)
        self.cancel_button.clicked.connect(self._cancel_overrule)
        self.refresh()

    # -- building --------------------------------------------------------------------------

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.results)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(TOUCH_HEIGHT)
        table.setItemDelegateForColumn(AttendeeModel.STATUS, StatusDelegate(table))
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(90)
        for column, width in _COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        return table

    def _build_details(self) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        self.pick_hint = _plain_label(16)
        self.pick_hint.setText(self.tr("Pick a ticket in the list to see it and admit by hand."))
        self.holder_label = _plain_label(22, bold=True)
        self.email_label = _plain_label()
        self.order_label = _plain_label()
        self.type_label = _plain_label()
        self.ticket_label = _plain_label()
        self.ticket_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        facts = QFormLayout()
        facts.addRow(self.tr("Email"), self.email_label)
        facts.addRow(self.tr("Order"), self.order_label)
        facts.addRow(self.tr("Ticket type"), self.type_label)
        facts.addRow(self.tr("Ticket"), self.ticket_label)
        self.status_label = _plain_label(16, bold=True)
        self.status_label.setMargin(8)
        self.verdict_label = _plain_label(15)
        self.history_label = _plain_label(13)

        self.reason_field = QLineEdit()
        self.reason_field.setMaxLength(500)
        self.reason_field.setMinimumHeight(TOUCH_HEIGHT)
        self.reason_field.setPlaceholderText(self.tr("Reason, e.g. phone battery dead, ID checked"))
        self.admit_button = _touch_button(self.tr("Admit"))
        self.message_label = _plain_label(15, bold=True)
        self.message_label.setMargin(8)
        self.message_label.hide()

        self.confirm_box = self._build_confirm()

        self.ticket_box = QWidget()
        ticket_layout = QVBoxLayout(self.ticket_box)
        ticket_layout.setContentsMargins(0, 0, 0, 0)
        ticket_layout.addWidget(self.holder_label)
        ticket_layout.addLayout(facts)
        ticket_layout.addWidget(self.status_label)
        ticket_layout.addWidget(self.verdict_label)
        ticket_layout.addWidget(self.history_label)
        ticket_layout.addStretch(1)
        ticket_layout.addWidget(self.reason_field)
        ticket_layout.addWidget(self.admit_button)
        ticket_layout.addWidget(self.message_label)
        ticket_layout.addWidget(self.confirm_box)
        self.ticket_box.hide()

        layout = QVBoxLayout(box)
        layout.addWidget(self.pick_hint)
        layout.addWidget(self.ticket_box, 1)
        return box

    def _build_confirm(self) -> QFrame:
        """The amber question staff answer before a verdict that needs judgement is
        overruled; in the panel rather than a modal box, so the list stays in view."""
        box = QFrame()
        _paint(box, Severity.ATTENTION)
        self.confirm_label = _plain_label(16, bold=True)
        self.confirm_button = _touch_button(self.tr("Admit anyway"))
        self.cancel_button = _touch_button(self.tr("Do not admit"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.confirm_label)
        layout.addLayout(buttons)
        box.hide()
        return box

    # -- searching -------------------------------------------------------------------------

    def focus_search(self) -> None:
        """Ready for the next person: fresh results (scans may have happened meanwhile),
        the search text selected so typing replaces it."""
        self.refresh()
        self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search_field.selectAll()

    def refresh(self) -> None:
        """Search again for what is typed, keeping the selected ticket selected."""
        self._search_timer.stop()
        text = self.search_field.text().strip()
        keep = self._selected.attendee.ticket.ticket_id if self._selected else None
        if not text:
            self._show_rows([], self.tr("Type a name, email, order number or ticket number."))
            return
        try:
            attendees = self._core.search(text, SEARCH_LIMIT)
        except ScannerError as exc:
            self._show_rows([], self.tr("The search failed: {0}").format(exc))
            return
        rows = [self._row(a) for a in attendees]
        self._show_rows(
            rows,
            self.tr(
                "No ticket matches \u201c{0}\u201d. Check the spelling, or try the email "
                "or order number."
            ).format(text),
        )
        if keep is not None:
            self._select(keep)

    def _typed(self, _text: str) -> None:
        self._search_timer.start()  # restarts: the search runs once typing pauses

    def _search_now(self) -> None:
        """Enter in the search field: search at once, and pick the hit if there is one."""
        self.refresh()
        if self.results.rowCount() == 1:
            self.table.selectRow(0)
            self.reason_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_rows(self, rows: list[AttendeeRow], empty_text: str) -> None:
        self.results.set_rows(rows)
        self.limit_label.setVisible(len(rows) >= SEARCH_LIMIT)
        if rows:
            self.list_stack.setCurrentWidget(self.table)
        else:
            self.empty_label.setText(empty_text)
            self.list_stack.setCurrentWidget(self.empty_label)
        self._show_selected(None)

    def _select(self, ticket_id: str) -> None:
        index = self.results.find(ticket_id)
        if index is not None:
            self.table.selectRow(index)

    def _row(self, attendee: Attendee) -> AttendeeRow:
        movements: tuple[ScanRecord, ...] = ()
        if attendee.presence.entries or attendee.presence.went_out or attendee.presence.inside:
            try:
                found = self._core.store.movements(attendee.ticket.ticket_id)
            except ScannerError:
                found = []
            movements = tuple(sorted((m for m in found if m.movement), key=admission_order))
        return AttendeeRow(attendee, self._status_text(attendee, movements), movements)

    # -- words -----------------------------------------------------------------------------

    def _status_text(self, attendee: Attendee, movements: tuple[ScanRecord, ...]) -> str:
        """What the gate knows of this ticket, in a few words: the verdict when it stands in
        the way, the last movement, and the entries used of a multi-entry ticket."""
        ticket, presence, verdict = attendee.ticket, attendee.presence, attendee.verdict
        parts: list[str] = []
        blocker = {
            Reason.REVOKED: self.tr("Revoked"),
            Reason.WRONG_EVENT: self.tr("Another event"),
            Reason.EXPIRED: self.tr("Expired"),
            Reason.NOT_YET_VALID: self.tr("Not valid yet"),
            Reason.WRONG_GATE: self.tr("Not for this gate"),
        }.get(verdict.reason)
        if blocker is not None:
            parts.append(blocker)
        last = movements[-1] if movements else None
        if last is None:
            if not ticket.revoked:
                parts.append(self.tr("Not admitted yet"))
        elif last.reason is Reason.EXITED:
            parts.append(self.tr("Left {0}").format(self._when(last.scanned_at_ms)))
        elif (
            presence.inside
            and presence.last is not None
            and last.scan_id != presence.last.scan_id
            and last not in presence.conflicts
        ):
            parts.append(
                self.tr("Back in {0} at {1}").format(self._when(last.scanned_at_ms), last.gate)
            )
        else:
            parts.append(
                self.tr("Admitted {0} at {1}").format(self._when(last.scanned_at_ms), last.gate)
            )
        if ticket.max_entries > 1:
            parts.append(
                self.tr("Entry {0} of {1} used").format(presence.entries, ticket.max_entries)
            )
        elif ticket.max_entries == 0 and presence.entries:
            parts.append(self.tr("{0} entries used (no limit)").format(presence.entries))
        return " \u00b7 ".join(parts)

    def _verdict_text(self, ticket: TicketEntry, verdict: Verdict) -> str:
        """What pressing the button would do, in a sentence."""
        reason = verdict.reason
        if verdict.severity is Severity.ATTENTION:
            return self.tr("{0} Admitting needs your decision.").format(
                self._judgement_text(ticket, verdict)
            )
        if reason is Reason.ADMITTED and verdict.reentry:
            return self.tr("Can come back in: this ticket allows re-entry.")
        if reason is Reason.EXPIRED and ticket.valid_until is not None:
            return self.tr("This ticket expired {0}. It cannot be admitted.").format(
                self._when(ticket.valid_until * 1000)
            )
        sentence = {
            Reason.ADMITTED: self.tr("Can be admitted."),
            Reason.EXITED: self.tr("Can be let out."),
            Reason.REVOKED: self.tr(
                "This ticket was refunded or cancelled. It cannot be admitted."
            ),
            Reason.WRONG_EVENT: self.tr(
                "This ticket is for another event. It cannot be admitted here."
            ),
            Reason.EXPIRED: self.tr("This ticket has expired. It cannot be admitted."),
        }.get(reason)
        return sentence or self.tr("This ticket cannot be admitted ({0}).").format(
            reason_title(reason)
        )

    def _judgement_text(self, ticket: TicketEntry, verdict: Verdict) -> str:
        """Why a verdict needs a person: the sentence staff confirm an overrule against."""
        previous = verdict.previous
        if verdict.reason is Reason.ALREADY_ADMITTED and previous is not None:
            device = (
                self.tr("this scanner")
                if previous.device_id == self._core.device.device_id
                else previous.device_name
            )
            if ticket.max_entries > 1:
                return self.tr("All {0} entries are used, the last at {1} {2} by {3}.").format(
                    ticket.max_entries, previous.gate, self._when(previous.scanned_at_ms), device
                )
            return self.tr("Already admitted at {0} {1} by {2}.").format(
                previous.gate, self._when(previous.scanned_at_ms), device
            )
        if verdict.reason is Reason.WRONG_GATE:
            return self.tr("{0} tickets are not admitted at this gate.").format(
                ticket.type_name or self.tr("These")
            )
        if verdict.reason is Reason.NOT_YET_VALID and ticket.valid_from is not None:
            return self.tr("This ticket is valid only from {0}.").format(
                self._when(ticket.valid_from * 1000)
            )
        return self.tr("This ticket needs a closer look.")

    def _when(self, at_ms: int) -> str:
        when = QDateTime.fromMSecsSinceEpoch(at_ms)
        if when.date() == QDateTime.currentDateTime().date():
            return when.toString("HH:mm")
        return when.toString("yyyy-MM-dd HH:mm")

    def _history_text(self, movements: tuple[ScanRecord, ...]) -> str:
        lines = []
        for record in movements[-6:]:
            way = (
                self.tr("Out at {0}") if record.reason is Reason.EXITED else self.tr("In at {0}")
            ).format(record.gate)
            line = self.tr("{0}  {1}, {2}").format(
                self._when(record.scanned_at_ms), way, record.device_name
            )
            if record.manual:
                line = self.tr("{0} \u2014 by hand: {1}").format(line, record.note or "")
            lines.append(line)
        return "\n".join(lines)

    # -- the selected ticket ---------------------------------------------------------------

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_selected(self.results.row(current.row()) if current.isValid() else None)

    def _show_selected(self, row: AttendeeRow | None) -> None:
        if (
            row is None
            or self._selected is None
            or (row.attendee.ticket.ticket_id != self._selected.attendee.ticket.ticket_id)
        ):
            self._cancel_overrule()
            self._show_message(None, "")
        self._selected = row
        self.pick_hint.setVisible(row is None)
        self.ticket_box.setVisible(row is not None)
        if row is None:
            return
        ticket = row.attendee.ticket
        self.holder_label.setText(ticket.holder_name or self.tr("(no name on the ticket)"))
        self.email_label.setText(ticket.holder_email)
        self.order_label.setText(ticket.order_ref)
        self.type_label.setText(ticket.type_name)
        self.ticket_label.setText(ticket.ticket_id)
        self.status_label.setText(f"{SYMBOLS[row.severity]}  {row.status}")
        _paint(self.status_label, row.severity)
        self.verdict_label.setText(self._verdict_text(ticket, row.attendee.verdict))
        self.history_label.setText(self._history_text(row.movements))
        exit_gate = self._core.settings.direction is Direction.EXIT
        self.admit_button.setText(self.tr("Let out") if exit_gate else self.tr("Admit"))
        refused = row.severity is Severity.REJECT
        self.admit_button.setEnabled(not refused)
        self.reason_field.setEnabled(not refused)

    def _show_message(self, severity: Severity | None, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        _paint(self.message_label, severity)

    # -- admitting -------------------------------------------------------------------------

    def _admit(self) -> None:
        row = self._selected
        if row is None or not self.admit_button.isEnabled():
            return
        note = self.reason_field.text().strip()
        if not note:
            self._show_message(
                Severity.REJECT,
                self.tr("Type the reason first, e.g. \u201cphone battery dead, ID checked\u201d."),
            )
            self.reason_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._record(row.attendee.ticket.ticket_id, note, overrule=False)

    def _overrule(self) -> None:
        if self._pending is None:
            return
        ticket_id, note = self._pending
        self._record(ticket_id, note, overrule=True)

    def _cancel_overrule(self) -> None:
        self._pending = None
        self.confirm_box.hide()
        self.admit_button.show()

    def _record(self, ticket_id: str, note: str, *, overrule: bool) -> None:
        name = self._selected.attendee.ticket.holder_name if self._selected else ""
        try:
            verdict = self._core.admit_manually(ticket_id, note, overrule=overrule)
        except ManualAdmitRefused as refused:
            self._refused(ticket_id, note, refused.verdict)
            return
        except ScannerError as exc:
            self._show_message(
                Severity.REJECT, self.tr("NOT recorded: {0}. Try again.").format(exc)
            )
            return
        self._cancel_overrule()
        self.reason_field.clear()
        self.refresh()
        self._show_message(
            Severity.ADMIT,
            (
                self.tr("{0} let out. Recorded as manual, with your reason.")
                if verdict.reason is Reason.EXITED
                else self.tr("{0} admitted. Recorded as manual, with your reason.")
            ).format(name or ticket_id),
        )
        self.verdict_recorded.emit(verdict)

    def _refused(self, ticket_id: str, note: str, verdict: Verdict) -> None:
        """The rules did not allow it: ask for an explicit overrule, or show the refusal."""
        self.refresh()  # the ticket's state may have changed since the list was drawn
        ticket = self._core.store.ticket(ticket_id)
        if verdict.severity is Severity.ATTENTION and ticket is not None:
            self._pending = (ticket_id, note)
            self.confirm_label.setText(
                self.tr("{0} Admit anyway?").format(self._judgement_text(ticket, verdict))
            )
            self.admit_button.hide()
            self.confirm_box.show()
            self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._cancel_overrule()
        self._show_message(
            Severity.REJECT,
            self._verdict_text(ticket, verdict)
            if ticket is not None
            else self.tr("This ticket cannot be admitted by hand."),
        )

    # -- keys ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        """Escape backs out of an overrule question first, then closes the search."""
        if event.key() == Qt.Key.Key_Escape:
            if self._pending is not None:
                self._cancel_overrule()
            else:
                self.close_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
