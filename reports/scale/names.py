"""The words seed_scale builds its population from: towns of North
Rhine-Westphalia (approximate centre coordinates, a main postcode, the youth
office in charge and a weight after the population), names of people, sites
and Träger, and the texts of answers, queries and reasons.

All of it is invented for test data (the towns and their youth offices are
real, the Kitas and people are not)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Town:
    name: str
    postcode: str
    latitude: float
    longitude: float
    youth_office: str
    weight: int  # about the population in ten thousands: how many centres it gets


def _city(name: str, postcode: str, lat: float, lon: float, weight: int) -> Town:
    return Town(name, postcode, lat, lon, f"Jugendamt der Stadt {name}", weight)


def _kreis(name: str, postcode: str, lat: float, lon: float, kreis: str, weight: int) -> Town:
    return Town(name, postcode, lat, lon, f"Jugendamt {kreis}", weight)


TOWNS: tuple[Town, ...] = (
    _city("Köln", "50667", 50.9375, 6.9603, 108),
    _city("Düsseldorf", "40213", 51.2277, 6.7735, 62),
    _city("Dortmund", "44135", 51.5136, 7.4653, 59),
    _city("Essen", "45127", 51.4556, 7.0116, 58),
    _city("Duisburg", "47051", 51.4344, 6.7623, 50),
    _city("Bochum", "44787", 51.4818, 7.2162, 36),
    _city("Wuppertal", "42103", 51.2562, 7.1508, 35),
    _city("Bielefeld", "33602", 52.0302, 8.5325, 33),
    _city("Bonn", "53111", 50.7374, 7.0982, 33),
    _city("Münster", "48143", 51.9607, 7.6261, 32),
    _city("Mönchengladbach", "41061", 51.1805, 6.4428, 26),
    _city("Gelsenkirchen", "45879", 51.5177, 7.0857, 26),
    _city("Aachen", "52062", 50.7753, 6.0839, 25),
    _city("Krefeld", "47798", 51.3388, 6.5853, 23),
    _city("Oberhausen", "46045", 51.4963, 6.8638, 21),
    _city("Hagen", "58095", 51.3671, 7.4633, 19),
    _city("Hamm", "59065", 51.6739, 7.8150, 18),
    _city("Mülheim an der Ruhr", "45468", 51.4275, 6.8825, 17),
    _city("Leverkusen", "51373", 51.0459, 7.0192, 16),
    _city("Solingen", "42651", 51.1652, 7.0671, 16),
    _city("Herne", "44623", 51.5369, 7.2009, 16),
    _city("Neuss", "41460", 51.2042, 6.6879, 15),
    _city("Paderborn", "33098", 51.7189, 8.7575, 15),
    _city("Bottrop", "46236", 51.5232, 6.9250, 12),
    _city("Recklinghausen", "45657", 51.6141, 7.1979, 11),
    _city("Remscheid", "42853", 51.1787, 7.1897, 11),
    _city("Bergisch Gladbach", "51465", 50.9918, 7.1360, 11),
    _city("Moers", "47441", 51.4516, 6.6408, 10),
    _city("Siegen", "57072", 50.8748, 8.0243, 10),
    _city("Gütersloh", "33330", 51.9032, 8.3858, 10),
    _city("Witten", "58452", 51.4437, 7.3528, 9),
    _city("Iserlohn", "58636", 51.3760, 7.6958, 9),
    _city("Düren", "52349", 50.8044, 6.4924, 9),
    _city("Ratingen", "40878", 51.2975, 6.8493, 9),
    _city("Lünen", "44532", 51.6167, 7.5297, 9),
    _city("Marl", "45768", 51.6563, 7.0900, 8),
    _city("Velbert", "42551", 51.3396, 7.0434, 8),
    _city("Minden", "32423", 52.2896, 8.9146, 8),
    _city("Viersen", "41747", 51.2556, 6.3917, 8),
    _city("Rheine", "48431", 52.2799, 7.4387, 8),
    _city("Troisdorf", "53840", 50.8161, 7.1556, 8),
    _city("Gladbeck", "45964", 51.5713, 6.9853, 8),
    _city("Bocholt", "46395", 51.8388, 6.6152, 7),
    _city("Detmold", "32756", 51.9383, 8.8792, 7),
    _city("Dorsten", "46282", 51.6604, 6.9645, 7),
    _city("Castrop-Rauxel", "44575", 51.5500, 7.3167, 7),
    _city("Lüdenscheid", "58507", 51.2198, 7.6273, 7),
    _city("Arnsberg", "59821", 51.3967, 8.0644, 7),
    _city("Dinslaken", "46535", 51.5623, 6.7434, 7),
    _city("Herford", "32052", 52.1146, 8.6734, 7),
    _city("Kerpen", "50171", 50.8697, 6.6961, 7),
    _city("Grevenbroich", "41515", 51.0908, 6.5874, 6),
    _city("Bergheim", "50126", 50.9553, 6.6392, 6),
    _city("Dormagen", "41539", 51.0964, 6.8407, 6),
    _city("Wesel", "46483", 51.6586, 6.6178, 6),
    _city("Unna", "59423", 51.5347, 7.6889, 6),
    _city("Euskirchen", "53879", 50.6608, 6.7873, 6),
    _city("Kleve", "47533", 51.7898, 6.1380, 5),
    _city("Soest", "59494", 51.5711, 8.1057, 5),
    _city("Ahlen", "59227", 51.7633, 7.8912, 5),
    _city("Gummersbach", "51643", 51.0266, 7.5647, 5),
    _city("Jülich", "52428", 50.9220, 6.3583, 3),
    _kreis("Coesfeld", "48653", 51.9459, 7.1675, "des Kreises Coesfeld", 4),
    _kreis("Borken", "46325", 51.8438, 6.8580, "des Kreises Borken", 4),
    _kreis("Warendorf", "48231", 51.9539, 7.9933, "des Kreises Warendorf", 4),
    _kreis("Heinsberg", "52525", 51.0633, 6.0981, "des Kreises Heinsberg", 4),
    _kreis("Meschede", "59872", 51.3500, 8.2833, "des Hochsauerlandkreises", 3),
    _kreis("Brilon", "59929", 51.3947, 8.5700, "des Hochsauerlandkreises", 3),
    _kreis("Höxter", "37671", 51.7749, 9.3816, "des Kreises Höxter", 3),
    _kreis("Steinfurt", "48565", 52.1504, 7.3367, "des Kreises Steinfurt", 3),
    _kreis("Lübbecke", "32312", 52.3076, 8.6120, "des Kreises Minden-Lübbecke", 3),
    _kreis("Olpe", "57462", 51.0290, 7.8517, "des Kreises Olpe", 2),
    _kreis("Bad Berleburg", "57319", 51.0497, 8.3917, "des Kreises Siegen-Wittgenstein", 2),
    _kreis("Warburg", "34414", 51.4904, 9.1400, "des Kreises Höxter", 2),
    _kreis("Schleiden", "53937", 50.5290, 6.4770, "des Kreises Euskirchen", 1),
    _kreis("Hürtgenwald", "52393", 50.7366, 6.4383, "des Kreises Düren", 1),
    _kreis("Monschau", "52156", 50.5545, 6.2403, "der StädteRegion Aachen", 1),
)

FIRST_NAMES = (
    "Anna", "Sabine", "Petra", "Claudia", "Julia", "Katrin", "Nicole", "Stefanie", "Andrea", "Melanie",
    "Sandra", "Christina", "Miriam", "Laura", "Lea", "Sarah", "Jana", "Ayşe", "Elif", "Fatma",
    "Natalia", "Olga", "Monika", "Birgit", "Heike", "Ute", "Tanja", "Simone", "Daniela", "Kerstin",
    "Markus", "Thomas", "Michael", "Stefan", "Andreas", "Jan", "Tobias", "Daniel", "Mehmet", "Lukas",
)  # fmt: skip
SURNAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
    "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid",
    "Yılmaz", "Kaya", "Demir", "Nowak", "Kowalski", "Jansen", "Peters", "Hermanns", "Kaiser", "Vogel",
)  # fmt: skip

SITE_NAMES = (
    "Sonnenschein", "Regenbogen", "Pusteblume", "Löwenzahn", "Arche Noah", "Wirbelwind", "Kunterbunt",
    "Sternschnuppe", "Rappelkiste", "Zwergenland", "Spatzennest", "Schatzkiste", "Abenteuerland", "Purzelbaum",
    "Buntstift", "Sonnenblume", "Kleine Strolche", "Wichtelhaus", "Krümelkiste", "Traumland", "Schmetterling",
    "Marienkäfer", "Glühwürmchen", "Kinderinsel", "Apfelbaum", "Lindenhof", "Am Park", "Am Bach", "Senfkorn",
    "Kleine Hände", "Seepferdchen", "Eichhörnchen", "Tausendfüßler", "Windrad", "Weltentdecker", "Kastanienbaum",
    "Haus der kleinen Forscher", "Mühlenbach", "Rosengarten", "Wiesenweg",
)  # fmt: skip
SAINTS = (
    "St. Josef", "St. Marien", "St. Elisabeth", "St. Martin", "St. Michael", "St. Antonius", "St. Barbara",
    "St. Hedwig", "St. Laurentius", "St. Franziskus", "Hl. Dreikönige", "St. Ursula", "Liebfrauen", "St. Clemens",
)  # fmt: skip
PROTESTANT_NAMES = (
    "Arche", "Zachäus", "Lukas", "Paulus", "Senfkorn", "Kreuzkirche", "Friedenskirche", "Johannes",
    "Regenbogen", "Apostel", "Christus", "Melanchthon",
)  # fmt: skip


@dataclass(frozen=True)
class TraegerKind:
    code: str
    site_prefix: str
    # How many centres a Träger of this kind runs (smallest, largest).
    size: tuple[int, int]
    weight: int


TRAEGER_KINDS: tuple[TraegerKind, ...] = (
    TraegerKind("stadt", "Städtische Kita", (8, 40), 6),
    TraegerKind("ev_verband", "Ev. Kita", (3, 20), 6),
    TraegerKind("kath_verband", "Kath. Kita", (3, 25), 7),
    TraegerKind("ev_gemeinde", "Ev. Kita", (1, 3), 10),
    TraegerKind("kath_gemeinde", "Kath. Kita", (1, 3), 12),
    TraegerKind("awo", "AWO-Kita", (2, 15), 6),
    TraegerKind("drk", "DRK-Kita", (1, 10), 5),
    TraegerKind("caritas", "Caritas-Kita", (1, 8), 4),
    TraegerKind("diakonie", "Diakonie-Kita", (1, 8), 4),
    TraegerKind("lebenshilfe", "Integrative Kita", (1, 3), 3),
    TraegerKind("initiative", "Kita", (1, 1), 22),
)


def traeger_name(kind: str, town: str, pick) -> str:
    """A Träger name of the kind in the town; `pick(seq)` chooses a word."""
    names = {
        "stadt": lambda: f"Stadt {town}",
        "ev_verband": lambda: f"Ev. Kindertagesstätten {town} gGmbH",
        "kath_verband": lambda: f"Kath. Kita gGmbH {town}",
        "ev_gemeinde": lambda: f"Ev. Kirchengemeinde {pick(PROTESTANT_NAMES)} {town}",
        "kath_gemeinde": lambda: f"Kath. Kirchengemeinde {pick(SAINTS)} {town}",
        "awo": lambda: f"AWO Kreisverband {town} e.V.",
        "drk": lambda: f"DRK-Kreisverband {town} e.V.",
        "caritas": lambda: f"Caritasverband für die Stadt {town} e.V.",
        "diakonie": lambda: f"Diakonie {town} gGmbH",
        "lebenshilfe": lambda: f"Lebenshilfe {town} e.V.",
        "initiative": lambda: f"Elterninitiative {pick(SITE_NAMES)} {town} e.V.",
    }
    return names[kind]()


def site_word(kind: str, pick) -> str:
    if kind in ("kath_gemeinde", "kath_verband"):
        return pick(SAINTS)
    if kind in ("ev_gemeinde", "ev_verband"):
        return pick(PROTESTANT_NAMES)
    return pick(SITE_NAMES)


# ---------------------------------------------------------------- texts

NARRATIVES = (
    "Wir setzen das seit {year} um; verantwortlich ist {person}. Einmal im Jahr werten wir es im Team und "
    "mit unseren Kooperationspartnern aus und passen es an.",
    "Das Angebot findet regelmäßig in unseren Räumen statt. Eltern erfahren davon über Aushang, Elternbrief, "
    "die Elternapp und unsere Internetseite; Termine stehen im Jahresprogramm.",
    "Gemeinsam mit der Erziehungs- und Familienberatungsstelle in {town} bieten wir das an; die Absprachen "
    "stehen in der Kooperationsvereinbarung, die wir jährlich überprüfen.",
    "Die Leitung und eine Fachkraft mit Zusatzqualifikation sind zuständig; die Dokumentation mit Terminen "
    "und Teilnehmendenzahlen liegt im Ordner Familienzentrum.",
    "Wir haben das im Rahmen der Sozialraumanalyse {year} geplant und seitdem mit den Familien weiterentwickelt; "
    "Rückmeldungen aus der Elternbefragung fließen ein.",
)
AFTER_QUERY = " Ergänzt nach der Rückfrage: Termine und Teilnehmendenzahlen des Prüfzeitraums sind jetzt belegt."
QUERIES = (
    "Bitte belegen Sie die Termine im Prüfzeitraum; der Nachweis nennt nur das Vorjahr.",
    "Aus der Beschreibung geht nicht hervor, wer das Angebot durchführt. Bitte ergänzen Sie das.",
    "Die Kooperationsvereinbarung ist nicht unterschrieben. Bitte reichen Sie die unterschriebene Fassung nach.",
    "Bitte beschreiben Sie, wie Eltern von dem Angebot erfahren.",
    "Für das zweite Halbjahr fehlt ein Nachweis. Bitte ergänzen Sie ihn.",
    "Im Verbund: Welcher Standort erbringt das Angebot? Bitte nennen Sie ihn in der Beschreibung.",
)
REPLIES = (
    "Wir haben die Terminliste des Prüfzeitraums ergänzt und hochgeladen.",
    "Die Beschreibung nennt jetzt die durchführende Fachkraft und ihre Qualifikation.",
    "Die unterschriebene Fassung ist als neuer Nachweis verknüpft.",
    "Ergänzt: Aushang, Elternbrief und Elternabend, siehe Beschreibung.",
)
SEND_BACK_REASONS = (
    "Die Begehung ist im Bericht nicht dokumentiert; bitte ergänzen Sie die Notizen.",
    "Kriterium 6.4 bitte noch einmal prüfen: der Nachweis stammt aus dem Vorjahr.",
    "Die Verbundstandorte sind in der Empfehlung nicht genannt.",
)
DECLINE_REASONS = (
    "Die Schwellen der Basisleistungen sind trotz Rückfragen nicht erreicht.",
    "Zentrale Nachweise fehlen auch nach der Rückfrage; die Begehung hat das bestätigt.",
)
WITHDRAW_REASONS = (
    "Leitungswechsel: wir reichen im nächsten Jahr neu ein.",
    "Der Träger hat entschieden, das Verfahren zu verschieben.",
    "Personalmangel im Team; eine Zertifizierung ist in diesem Jahr nicht zu schaffen.",
)
VISIT_NOTES = (
    "Rundgang durch alle Räume, Gespräch mit der Leitung und zwei Fachkräften.",
    "Begehung beider Standorte; Elterncafé und Beratungsraum angesehen.",
    "",
)
STREETS = (
    "Lindenstraße", "Schulstraße", "Hauptstraße", "Kirchstraße", "Gartenstraße", "Bahnhofstraße", "Am Markt",
    "Mühlenweg", "Ringstraße", "Bergstraße", "Waldstraße", "Birkenweg", "Kastanienallee", "Goethestraße",
    "Schillerstraße", "Am Sportplatz", "Friedhofstraße", "Rosenweg", "Parkstraße", "Im Winkel",
)  # fmt: skip
