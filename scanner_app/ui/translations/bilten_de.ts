<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>AttendeeModel</name>
    <message>
        <location filename="../search_panel.py" line="79"/>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="80"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="81"/>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="82"/>
        <source>Order</source>
        <translation>Bestellung</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="83"/>
        <source>Ticket type</source>
        <translation>Ticketart</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="84"/>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
</context>
<context>
    <name>GateHeader</name>
    <message>
        <location filename="../scan_view.py" line="67"/>
        <source>Gate {0}</source>
        <translation>Tor {0}</translation>
    </message>
    <message>
        <location filename="../scan_view.py" line="68"/>
        <source>Zone: {0}</source>
        <translation>Bereich: {0}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="138"/>
        <source>No camera: type or scan codes</source>
        <translation>Keine Kamera: Codes eintippen oder scannen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="144"/>
        <source>Search</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="145"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="146"/>
        <source>Sync now</source>
        <translation>Abgleichen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="147"/>
        <location filename="../main_window.py" line="525"/>
        <source>Kiosk</source>
        <translation>Kiosk</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="183"/>
        <source>{0} · {1}</source>
        <translation>{0} · {1}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="307"/>
        <source>Kiosk mode: tap “Leave kiosk” and type the PIN.</source>
        <translation>Kioskmodus: auf „Kiosk beenden“ tippen und die PIN eingeben.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="409"/>
        <source>{0} · {1:.0f} ms per frame</source>
        <translation>{0} · {1:.0f} ms pro Bild</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="416"/>
        <source>Camera problem: {0}. Type or scan codes instead.</source>
        <translation>Kameraproblem: {0}. Codes stattdessen eintippen oder scannen.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="468"/>
        <source>Bilten gate — {0}</source>
        <translation>Bilten-Einlass – {0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="471"/>
        <source>The new language is used from the next start of the app.</source>
        <translation>Die neue Sprache gilt ab dem nächsten Start der App.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="487"/>
        <source>Kiosk mode needs a PIN. Set one in Settings, then tap Kiosk again.</source>
        <translation>Der Kioskmodus braucht eine PIN. Unter „Einstellungen“ eine festlegen, dann erneut auf „Kiosk“ tippen.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="525"/>
        <source>Leave kiosk</source>
        <translation>Kiosk beenden</translation>
    </message>
</context>
<context>
    <name>PairDialog</name>
    <message>
        <location filename="../pair_dialog.py" line="103"/>
        <source>Pair this scanner — Bilten gate</source>
        <translation>Scanner koppeln – Bilten-Einlass</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="127"/>
        <source>Pair this scanner with the venue server</source>
        <translation>Diesen Scanner mit dem Veranstaltungsserver koppeln</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="132"/>
        <source>Scan the pairing QR shown on the venue server, or choose the venue server and type its pairing code.</source>
        <translation>Den Kopplungs-QR-Code scannen, den der Veranstaltungsserver anzeigt, oder den Veranstaltungsserver wählen und seinen Kopplungscode eingeben.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="146"/>
        <source>e.g. http://192.168.1.20:8100</source>
        <translation>z.&#xa0;B. http://192.168.1.20:8100</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="148"/>
        <source>e.g. K7PM-3QXA</source>
        <translation>z.&#xa0;B. K7PM-3QXA</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="150"/>
        <source>e.g. North 1</source>
        <translation>z.&#xa0;B. Nord 1</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="153"/>
        <source>Venue server address</source>
        <translation>Serveradresse</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="154"/>
        <source>Pairing code</source>
        <translation>Kopplungscode</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="155"/>
        <source>Name of this scanner</source>
        <translation>Name dieses Scanners</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="179"/>
        <source>Pair</source>
        <translation>Koppeln</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="184"/>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="199"/>
        <source>Type the venue server&apos;s address below.</source>
        <translation>Die Adresse des Veranstaltungsservers unten eingeben.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="207"/>
        <source>This network does not allow looking for venue servers. Type the address the venue server shows instead.</source>
        <translation>In diesem Netzwerk lässt sich nicht nach Veranstaltungsservern suchen. Stattdessen die Adresse eingeben, die der Veranstaltungsserver anzeigt.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="212"/>
        <location filename="../pair_dialog.py" line="231"/>
        <source>Looking for venue servers on this network…</source>
        <translation>Suche nach Veranstaltungsservern in diesem Netzwerk&#xa0;…</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="228"/>
        <source>Tap the venue server to use, or type its address.</source>
        <translation>Den gewünschten Veranstaltungsserver antippen oder seine Adresse eingeben.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="275"/>
        <source>Pairing QR read. Press Pair to continue.</source>
        <translation>Kopplungs-QR-Code gelesen. Zum Fortfahren „Koppeln“ drücken.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="294"/>
        <source>Pairing with {0}…</source>
        <translation>Kopplung mit {0}&#xa0;…</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="317"/>
        <source>Paired. Downloading tickets: {0} of {1}…</source>
        <translation>Gekoppelt. Tickets werden geladen: {0} von {1}&#xa0;…</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="328"/>
        <source>Paired with {0} as gate {1}. {2} tickets ready.</source>
        <translation>Mit {0} als Tor {1} gekoppelt. Tickets bereit: {2}.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="345"/>
        <source>This scanner could not save the pairing: {0}</source>
        <translation>Dieser Scanner konnte die Kopplung nicht speichern: {0}</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="363"/>
        <source>This is not a working pairing QR. Scan the QR the venue server shows, or type its address and code.</source>
        <translation>Das ist kein gültiger Kopplungs-QR-Code. Den QR-Code scannen, den der Veranstaltungsserver anzeigt, oder Adresse und Code eingeben.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="370"/>
        <source>Check the venue server&apos;s address. It looks like http://192.168.1.20:8100.</source>
        <translation>Bitte die Adresse des Veranstaltungsservers prüfen. Sie sieht so aus: http://192.168.1.20:8100.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="375"/>
        <source>A pairing code has 8 letters and digits, like K7PM-3QXA.</source>
        <translation>Ein Kopplungscode hat 8 Buchstaben und Ziffern, etwa K7PM-3QXA.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="379"/>
        <source>Give this scanner a name, like North 1.</source>
        <translation>Diesem Scanner einen Namen geben, etwa Nord 1.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="384"/>
        <source>The venue server does not answer. Check that it is running and that this scanner is on the venue&apos;s network.</source>
        <translation>Der Veranstaltungsserver antwortet nicht. Prüfen, ob er läuft und ob dieser Scanner im Netzwerk der Veranstaltung ist.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="391"/>
        <source>Something answered at this address, but it is not a Bilten venue server. Check the address.</source>
        <translation>Unter dieser Adresse antwortet etwas, aber kein Bilten-Veranstaltungsserver. Bitte die Adresse prüfen.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="398"/>
        <source>Wrong code: the venue server does not know it. Check the code, or make a new one on the venue server.</source>
        <translation>Falscher Code: Der Veranstaltungsserver kennt ihn nicht. Code prüfen oder am Veranstaltungsserver einen neuen erzeugen.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="404"/>
        <source>This code has already been used. Make a new code on the venue server.</source>
        <translation>Dieser Code wurde schon benutzt. Am Veranstaltungsserver einen neuen erzeugen.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="408"/>
        <source>This code has expired. Make a new code on the venue server.</source>
        <translation>Dieser Code ist abgelaufen. Am Veranstaltungsserver einen neuen erzeugen.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="414"/>
        <source>Type the venue server&apos;s address, tap a venue server in the list, or scan the pairing QR.</source>
        <translation>Die Adresse des Veranstaltungsservers eingeben, einen Veranstaltungsserver in der Liste antippen oder den Kopplungs-QR-Code scannen.</translation>
    </message>
    <message>
        <location filename="../pair_dialog.py" line="418"/>
        <source>The venue server refused to pair this scanner: {0}</source>
        <translation>Der Veranstaltungsserver hat die Kopplung dieses Scanners abgelehnt: {0}</translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <location filename="../kiosk.py" line="49"/>
        <source>Leave kiosk mode</source>
        <translation>Kioskmodus beenden</translation>
    </message>
    <message>
        <location filename="../kiosk.py" line="52"/>
        <source>Type the kiosk PIN to leave kiosk mode</source>
        <translation>Kiosk-PIN eingeben, um den Kioskmodus zu beenden</translation>
    </message>
    <message>
        <location filename="../kiosk.py" line="74"/>
        <source>Erase the last digit</source>
        <translation>Letzte Ziffer löschen</translation>
    </message>
    <message>
        <location filename="../kiosk.py" line="75"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../kiosk.py" line="79"/>
        <source>Cancel — stay in kiosk mode</source>
        <translation>Abbrechen (Kiosk bleibt)</translation>
    </message>
    <message>
        <location filename="../kiosk.py" line="104"/>
        <source>Wrong PIN. Try again.</source>
        <translation>Falsche PIN. Bitte erneut versuchen.</translation>
    </message>
</context>
<context>
    <name>ScanView</name>
    <message>
        <location filename="../scan_view.py" line="120"/>
        <source>Or type the ticket code and press Enter</source>
        <translation>Oder Code eintippen und Enter drücken</translation>
    </message>
    <message>
        <location filename="../scan_view.py" line="124"/>
        <source>Check</source>
        <translation>Prüfen</translation>
    </message>
    <message>
        <location filename="../scan_view.py" line="144"/>
        <source>Show the ticket&apos;s QR code to the camera</source>
        <translation>Ticket-QR-Code vor die Kamera halten</translation>
    </message>
    <message>
        <location filename="../scan_view.py" line="146"/>
        <source>Leaving? Show the ticket&apos;s QR code to the camera</source>
        <translation>Beim Hinausgehen: Ticket-QR-Code vor die Kamera halten</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <location filename="../search_panel.py" line="216"/>
        <source>Name, email, order or ticket number</source>
        <translation>Name, E-Mail, Bestell- oder Ticketnummer</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="220"/>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="228"/>
        <source>Only the first {0} matches are shown. Type more to narrow them down.</source>
        <translation>Nur die ersten {0} Treffer werden angezeigt. Zum Eingrenzen weiter tippen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="294"/>
        <source>Pick a ticket in the list to see it and admit by hand.</source>
        <translation>Ein Ticket in der Liste wählen, um es anzusehen und von Hand einzulassen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="302"/>
        <source>Email</source>
        <translation>E-Mail</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="303"/>
        <source>Order</source>
        <translation>Bestellung</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="304"/>
        <source>Ticket type</source>
        <translation>Ticketart</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="305"/>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="314"/>
        <source>Reason, e.g. phone battery dead, ID checked</source>
        <translation>Grund, z.&#xa0;B. Akku leer, Ausweis geprüft</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="315"/>
        <location filename="../search_panel.py" line="573"/>
        <source>Admit</source>
        <translation>Einlassen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="348"/>
        <source>Admit anyway</source>
        <translation>Trotzdem einlassen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="349"/>
        <source>Do not admit</source>
        <translation>Nicht einlassen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="374"/>
        <source>Type a name, email, order number or ticket number.</source>
        <translation>Name, E-Mail, Bestell- oder Ticketnummer eintippen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="379"/>
        <source>The search failed: {0}</source>
        <translation>Die Suche ist fehlgeschlagen: {0}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="385"/>
        <source>No ticket matches “{0}”. Check the spelling, or try the email or order number.</source>
        <translation>Kein Ticket passt zu „{0}“. Schreibweise prüfen oder mit E-Mail oder Bestellnummer suchen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="435"/>
        <source>Revoked</source>
        <translation>Storniert</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="436"/>
        <source>Another event</source>
        <translation>Andere Veranstaltung</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="437"/>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="438"/>
        <source>Not valid yet</source>
        <translation>Noch nicht gültig</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="439"/>
        <source>Not for this gate</source>
        <translation>Nicht für dieses Tor</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="446"/>
        <source>Not admitted yet</source>
        <translation>Noch kein Einlass</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="448"/>
        <source>Left {0}</source>
        <translation>Gegangen {0}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="456"/>
        <source>Back in {0} at {1}</source>
        <translation>Wiedereinlass {0}, Tor {1}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="460"/>
        <source>Admitted {0} at {1}</source>
        <translation>Einlass {0}, Tor {1}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="464"/>
        <source>Entry {0} of {1} used</source>
        <translation>Eintritt {0} von {1} genutzt</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="467"/>
        <source>{0} entries used (no limit)</source>
        <translation>Eintritte genutzt: {0} (unbegrenzt)</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="474"/>
        <source>{0} Admitting needs your decision.</source>
        <translation>{0} Einlass nur nach Ihrer Entscheidung.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="478"/>
        <source>Can come back in: this ticket allows re-entry.</source>
        <translation>Darf wieder hinein: Dieses Ticket erlaubt Wiedereinlass.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="480"/>
        <source>This ticket expired {0}. It cannot be admitted.</source>
        <translation>Dieses Ticket ist seit {0} abgelaufen. Kein Einlass möglich.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="484"/>
        <source>Can be admitted.</source>
        <translation>Kann eingelassen werden.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="485"/>
        <source>Can be let out.</source>
        <translation>Kann hinausgelassen werden.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="487"/>
        <source>This ticket was refunded or cancelled. It cannot be admitted.</source>
        <translation>Dieses Ticket wurde erstattet oder storniert. Kein Einlass möglich.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="490"/>
        <source>This ticket is for another event. It cannot be admitted here.</source>
        <translation>Dieses Ticket gilt für eine andere Veranstaltung. Hier kein Einlass möglich.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="492"/>
        <source>This ticket has expired. It cannot be admitted.</source>
        <translation>Dieses Ticket ist abgelaufen. Kein Einlass möglich.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="494"/>
        <source>This ticket cannot be admitted ({0}).</source>
        <translation>Mit diesem Ticket kein Einlass möglich ({0}).</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="503"/>
        <source>this scanner</source>
        <translation>diesem Scanner</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="508"/>
        <source>All {0} entries are used, the last at {1} {2} by {3}.</source>
        <translation>Alle {0} Eintritte sind genutzt, zuletzt an Tor {1} ({2}) von {3}.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="511"/>
        <source>Already admitted at {0} {1} by {2}.</source>
        <translation>Bereits eingelassen an Tor {0} ({1}) von {2}.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="515"/>
        <source>{0} tickets are not admitted at this gate.</source>
        <translation>{0}: kein Einlass an diesem Tor.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="516"/>
        <source>These</source>
        <translation>Diese Tickets</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="519"/>
        <source>This ticket is valid only from {0}.</source>
        <translation>Dieses Ticket gilt erst ab {0}.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="522"/>
        <source>This ticket needs a closer look.</source>
        <translation>Dieses Ticket bitte genauer prüfen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="534"/>
        <source>Out at {0}</source>
        <translation>Hinaus an Tor {0}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="534"/>
        <source>In at {0}</source>
        <translation>Hinein an Tor {0}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="536"/>
        <source>{0}  {1}, {2}</source>
        <translation>{0}  {1}, {2}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="540"/>
        <source>{0} — by hand: {1}</source>
        <translation>{0} – von Hand: {1}</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="563"/>
        <source>(no name on the ticket)</source>
        <translation>(kein Name auf dem Ticket)</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="573"/>
        <source>Let out</source>
        <translation>Hinauslassen</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="593"/>
        <source>Type the reason first, e.g. “phone battery dead, ID checked”.</source>
        <translation>Zuerst den Grund eintippen, z.&#xa0;B. „Akku leer, Ausweis geprüft“.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="619"/>
        <source>NOT recorded: {0}. Try again.</source>
        <translation>NICHT erfasst: {0}. Bitte erneut versuchen.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="628"/>
        <source>{0} let out. Recorded as manual, with your reason.</source>
        <translation>{0} hinausgelassen. Als Einlass von Hand erfasst, mit Ihrem Grund.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="630"/>
        <source>{0} admitted. Recorded as manual, with your reason.</source>
        <translation>{0} eingelassen. Als Einlass von Hand erfasst, mit Ihrem Grund.</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="642"/>
        <source>{0} Admit anyway?</source>
        <translation>{0} Trotzdem einlassen?</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="653"/>
        <source>This ticket cannot be admitted by hand.</source>
        <translation>Dieses Ticket kann nicht von Hand eingelassen werden.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="89"/>
        <source>Gate settings</source>
        <translation>Einstellungen dieses Tors</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="125"/>
        <source>Leave empty to use the gate the venue gave at pairing ({0}).</source>
        <translation>Leer lassen für das Tor, das beim Koppeln vergeben wurde ({0}).</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="129"/>
        <source>Gate name</source>
        <translation>Name des Tors</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="131"/>
        <source>→ Entry</source>
        <translation>→ Eingang</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="132"/>
        <source>Exit →</source>
        <translation>Ausgang →</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="146"/>
        <source>Direction</source>
        <translation>Richtung</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="150"/>
        <source>e.g. Main hall, Balcony</source>
        <translation>z.&#xa0;B. Saal, Rang</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="151"/>
        <source>Zone</source>
        <translation>Bereich</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="154"/>
        <source>All ticket types</source>
        <translation>Alle Ticketarten</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="167"/>
        <source>Ticket type {0}</source>
        <translation>Ticketart {0}</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="173"/>
        <source>Admits</source>
        <translation>Einlass für</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="194"/>
        <source>Who is on duty at this gate</source>
        <translation>Wer an diesem Tor Dienst hat</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="195"/>
        <source>Staff on duty</source>
        <translation>Personal im Dienst</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="198"/>
        <source>Verdict on screen</source>
        <translation>Ergebnis anzeigen für</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="201"/>
        <source>A code seen again within this time is not scanned a second time.</source>
        <translation>Ein Code, der in dieser Zeit erneut erkannt wird, wird nicht noch einmal gescannt.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="203"/>
        <source>Ignore repeats for</source>
        <translation>Wiederholungen ignorieren für</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="205"/>
        <source>Play a sound with each verdict</source>
        <translation>Bei jedem Ergebnis einen Ton abspielen</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="207"/>
        <source>Sound</source>
        <translation>Ton</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="214"/>
        <source>Same as the system</source>
        <translation>Wie im System</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="219"/>
        <source>A new language applies the next time the scanner starts.</source>
        <translation>Eine neue Sprache gilt ab dem nächsten Start des Scanners.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="224"/>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="231"/>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="238"/>
        <source>A kiosk PIN is set. Type a new one twice to change it.</source>
        <translation>Eine Kiosk-PIN ist festgelegt. Zum Ändern zweimal eine neue eingeben.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="240"/>
        <source>No kiosk PIN is set. Type one twice to set it.</source>
        <translation>Keine Kiosk-PIN festgelegt. Zum Festlegen zweimal eingeben.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="244"/>
        <source>New PIN, {0} to {1} digits</source>
        <translation>Neue PIN, {0} bis {1} Ziffern</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="245"/>
        <source>The same PIN again</source>
        <translation>Dieselbe PIN noch einmal</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="246"/>
        <source>Remove the kiosk PIN</source>
        <translation>Kiosk-PIN entfernen</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="254"/>
        <source>Kiosk PIN</source>
        <translation>Kiosk-PIN</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="299"/>
        <source>The two PINs are not the same. Type them again.</source>
        <translation>Die beiden PINs stimmen nicht überein. Bitte erneut eingeben.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="304"/>
        <source>The PIN must be {0} to {1} digits.</source>
        <translation>Die PIN muss {0} bis {1} Ziffern haben.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="318"/>
        <source>Tick at least one ticket type, or choose All ticket types.</source>
        <translation>Mindestens eine Ticketart ankreuzen oder „Alle Ticketarten“ wählen.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="345"/>
        <source>The settings were NOT saved: {0}</source>
        <translation>Die Einstellungen wurden NICHT gespeichert: {0}</translation>
    </message>
</context>
<context>
    <name>StatsView</name>
    <message>
        <location filename="../stats_view.py" line="95"/>
        <source>This scanner today</source>
        <translation>Dieser Scanner heute</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="98"/>
        <source>{0} admitted</source>
        <translation>{0} eingelassen</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="99"/>
        <source>{0} rejected</source>
        <translation>{0} abgewiesen</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="100"/>
        <source>{0} needed a look</source>
        <translation>{0} zu prüfen</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="101"/>
        <source>exits</source>
        <translation>Ausgänge</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="113"/>
        <source>scans in the current minute</source>
        <translation>Scans in dieser Minute</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="115"/>
        <source>scans per minute, last 15 minutes</source>
        <translation>Scans pro Minute, letzte 15 Minuten</translation>
    </message>
    <message>
        <location filename="../stats_view.py" line="135"/>
        <source>Numbers unavailable: {0}</source>
        <translation>Zahlen nicht verfügbar: {0}</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <location filename="../status_line.py" line="103"/>
        <source>○ Not synced yet</source>
        <translation>○ Noch nicht abgeglichen</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="140"/>
        <source>⇄ Live</source>
        <translation>⇄ Live</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="142"/>
        <source>Other gates&apos; scans arrive here as they happen.</source>
        <translation>Scans der anderen Tore kommen hier sofort an.</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="155"/>
        <source>● Online, last sync {0}</source>
        <translation>● Online, letzter Abgleich {0}</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="158"/>
        <source>○ Offline (last try {0})</source>
        <translation>○ Offline (letzter Versuch {0})</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="161"/>
        <source>○ Not authorised by the venue</source>
        <translation>○ Vom Veranstaltungsserver nicht zugelassen</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="164"/>
        <source>○ Sync problem at {0}</source>
        <translation>○ Abgleichproblem um {0}</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="172"/>
        <source>Scans waiting to upload: unknown (local database problem)</source>
        <translation>Scans zum Hochladen: unbekannt (Problem mit der lokalen Datenbank)</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="174"/>
        <source>Scans waiting to upload: {0}</source>
        <translation>Scans zum Hochladen: {0}</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="176"/>
        <source>All scans uploaded</source>
        <translation>Alle Scans hochgeladen</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="183"/>
        <source>No complete ticket list yet</source>
        <translation>Noch keine vollständige Ticketliste</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="189"/>
        <source>Tickets as of just now</source>
        <translation>Ticketstand: gerade eben</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="191"/>
        <source>Tickets as of {0} min ago</source>
        <translation>Ticketstand: vor {0}&#xa0;Min.</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="193"/>
        <source>Tickets as of {0} h ago</source>
        <translation>Ticketstand: vor {0}&#xa0;Std.</translation>
    </message>
</context>
<context>
    <name>SyncBanner</name>
    <message>
        <location filename="../status_line.py" line="48"/>
        <source>Offline — still admitting. Scans upload when the venue is back.</source>
        <translation>Offline – Einlass läuft weiter. Scans werden später hochgeladen.</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="51"/>
        <source>This gate was removed by the venue — pair again. Scanning goes on with the tickets already here.</source>
        <translation>Dieses Tor wurde vom Veranstaltungsserver entfernt – bitte neu koppeln. Gescannt wird weiter mit den bereits geladenen Tickets.</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="55"/>
        <source>Sync problem: {0}. Scanning goes on.</source>
        <translation>Abgleichproblem: {0}. Gescannt wird weiter.</translation>
    </message>
</context>
<context>
    <name>SyncProgress</name>
    <message>
        <location filename="../status_line.py" line="88"/>
        <source>Downloading tickets: {0} done, {1} to go</source>
        <translation>Tickets werden geladen: {0} fertig, {1} ausstehend</translation>
    </message>
    <message>
        <location filename="../status_line.py" line="90"/>
        <source>{0} of {1}</source>
        <translation>{0} von {1}</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <location filename="../texts.py" line="18"/>
        <source>Admitted</source>
        <translation>Einlass</translation>
    </message>
    <message>
        <location filename="../texts.py" line="19"/>
        <source>Not a ticket</source>
        <translation>Kein Ticket</translation>
    </message>
    <message>
        <location filename="../texts.py" line="20"/>
        <source>Forged ticket</source>
        <translation>Gefälschtes Ticket</translation>
    </message>
    <message>
        <location filename="../texts.py" line="21"/>
        <source>Unknown ticket key</source>
        <translation>Unbekannter Ticketschlüssel</translation>
    </message>
    <message>
        <location filename="../texts.py" line="22"/>
        <source>Wrong event</source>
        <translation>Falsche Veranstaltung</translation>
    </message>
    <message>
        <location filename="../texts.py" line="23"/>
        <source>Ticket revoked</source>
        <translation>Ticket storniert</translation>
    </message>
    <message>
        <location filename="../texts.py" line="24"/>
        <source>Not valid yet</source>
        <translation>Noch nicht gültig</translation>
    </message>
    <message>
        <location filename="../texts.py" line="25"/>
        <source>Ticket expired</source>
        <translation>Ticket abgelaufen</translation>
    </message>
    <message>
        <location filename="../texts.py" line="26"/>
        <source>Already admitted</source>
        <translation>Bereits eingelassen</translation>
    </message>
    <message>
        <location filename="../texts.py" line="27"/>
        <source>Wrong gate</source>
        <translation>Falsches Tor</translation>
    </message>
    <message>
        <location filename="../texts.py" line="28"/>
        <source>Goodbye</source>
        <translation>Auf Wiedersehen</translation>
    </message>
    <message>
        <location filename="../texts.py" line="32"/>
        <source>Welcome!</source>
        <translation>Willkommen!</translation>
    </message>
    <message>
        <location filename="../texts.py" line="33"/>
        <source>This code is not a Bilten ticket.</source>
        <translation>Dieser Code ist kein Bilten-Ticket.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="34"/>
        <source>The signature is not valid. Do not admit.</source>
        <translation>Die Signatur ist ungültig. Nicht einlassen.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="35"/>
        <source>This gate may be out of date. Ask the venue desk.</source>
        <translation>Dieses Tor ist eventuell nicht aktuell. Bei der Einlassleitung nachfragen.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="38"/>
        <source>This ticket is for another event.</source>
        <translation>Dieses Ticket gilt für eine andere Veranstaltung.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="39"/>
        <source>Refunded or cancelled. Do not admit.</source>
        <translation>Erstattet oder storniert. Nicht einlassen.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="40"/>
        <source>This ticket is not valid yet.</source>
        <translation>Dieses Ticket ist noch nicht gültig.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="41"/>
        <source>This ticket is no longer valid.</source>
        <translation>Dieses Ticket ist nicht mehr gültig.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="42"/>
        <source>This ticket was used before. Check with the holder.</source>
        <translation>Dieses Ticket wurde schon benutzt. Bitte mit dem Gast klären.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="45"/>
        <source>This ticket type is not admitted here. Send the holder to the right gate.</source>
        <translation>Diese Ticketart hat hier keinen Einlass. Gast zum richtigen Tor schicken.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="48"/>
        <source>The ticket holder has left.</source>
        <translation>Der Gast ist gegangen.</translation>
    </message>
    <message>
        <location filename="../texts.py" line="78"/>
        <source>ENTRY</source>
        <translation>EINGANG</translation>
    </message>
    <message>
        <location filename="../texts.py" line="79"/>
        <source>EXIT</source>
        <translation>AUSGANG</translation>
    </message>
</context>
<context>
    <name>VerdictView</name>
    <message>
        <location filename="../verdict_view.py" line="140"/>
        <source>Tap the screen or press any key to scan the next ticket</source>
        <translation>Bildschirm antippen oder eine Taste drücken für das nächste Ticket</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="170"/>
        <source>✍ Manual admission by staff, not a scan</source>
        <translation>✍ Einlass von Hand durch Personal, kein Scan</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="179"/>
        <source>Scan NOT recorded</source>
        <translation>Scan NICHT erfasst</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="180"/>
        <source>Scan the ticket again. If this repeats, call the venue desk.</source>
        <translation>Ticket erneut scannen. Passiert das wieder, die Einlassleitung rufen.</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="208"/>
        <source>Ticket type {0}</source>
        <translation>Ticketart {0}</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="213"/>
        <source>Exit recorded</source>
        <translation>Ausgang erfasst</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="215"/>
        <source>All entries used: {0} of {1}</source>
        <translation>Alle Eintritte genutzt: {0} von {1}</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="221"/>
        <source>Re-entry</source>
        <translation>Wiedereinlass</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="223"/>
        <source>Entry {0} (no limit)</source>
        <translation>Eintritt {0} (unbegrenzt)</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="224"/>
        <source>Entry {0} of {1}</source>
        <translation>Eintritt {0} von {1}</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="233"/>
        <source>{0} (this scanner)</source>
        <translation>{0} (dieser Scanner)</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="238"/>
        <source>Already admitted at gate {0} at {1} by device {2}, {3} min ago</source>
        <translation>Eingelassen an Tor {0} um {1} von Gerät {2}, vor {3}&#xa0;Min.</translation>
    </message>
    <message>
        <location filename="../verdict_view.py" line="241"/>
        <source>Already admitted at gate {0} on {1} at {2} by device {3}</source>
        <translation>Eingelassen an Tor {0} am {1} um {2} von Gerät {3}</translation>
    </message>
</context>
</TS>
