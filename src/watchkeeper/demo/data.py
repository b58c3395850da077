"""The demo world as plain data: Lighthouse Managed IT, its staff, and its clients.

Everything here is fictional. E-mail domains use the reserved `.example` top-level domain;
telephone numbers come from ranges set aside for fiction where a country has one
(US 555-01xx, UK 020 7946 0xxx, Australia 02 5550 xxxx, Berlin 030 23125 xxx).
Natural keys: client slug, user e-mail, team slug, and (client, name) for sites, services
and contacts. The loader creates what is missing and never changes what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

MSP_NAME = "Lighthouse Managed IT"
MSP_DOMAIN = "lighthouse-it.example"
MSP_ACCENT = "#0f3a66"  # the navy of the demo logo (demo/logo.py)
MSP_PHONE = "+44 20 7946 0100"

SERVICE_DESK = "service-desk"
INFRASTRUCTURE = "infrastructure"


@dataclass(frozen=True)
class TeamData:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class SiteData:
    name: str
    address: str
    timezone: str = ""  # empty: the client's time zone


@dataclass(frozen=True)
class ServiceData:
    name: str
    kind: str
    criticality: str
    team: str
    description: str
    is_active: bool = True
    site: str = ""  # empty: the client's first site


@dataclass(frozen=True)
class ContactData:
    name: str
    job_title: str
    email: str
    phone: str
    channel: str = "email"
    primary: bool = False
    reports: bool = False
    major_only: bool = False
    updates: bool = True
    notes: str = ""


@dataclass(frozen=True)
class ClientData:
    slug: str
    name: str
    timezone: str
    country: str
    region: str
    tier: str
    seats: int
    notes: str
    sites: tuple[SiteData, ...]
    services: tuple[ServiceData, ...]
    contacts: tuple[ContactData, ...]
    is_active: bool = True


@dataclass(frozen=True)
class StaffData:
    email: str
    full_name: str
    role: str
    timezone: str
    phone: str
    team: str = ""
    lead: bool = False
    all_clients: bool = False
    clients: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortalUserData:
    email: str
    full_name: str
    role: str
    client: str


TEAMS = (
    TeamData(
        SERVICE_DESK,
        "Service Desk",
        "First line for every client: triage, user-facing applications, e-mail and endpoints. "
        "Follow-the-sun cover from London, New York, Berlin and Sydney.",
    ),
    TeamData(
        INFRASTRUCTURE,
        "Infrastructure",
        "Servers, networks, cloud tenancies, databases and backups. Second line and on-call "
        "for everything behind the desk.",
    ),
)


def _msp(local: str) -> str:
    return f"{local}@{MSP_DOMAIN}"


OWNER = StaffData(
    _msp("alex.morgan"), "Alex Morgan", "owner", "Europe/London", "+44 20 7946 0101", all_clients=True
)

# The MSP-wide teams and rotations answer for every client, so their members see every client
# (pages must reach only people who may work on the client). Jordan and Tomás are the dedicated
# desk of two clients: assigned to those only, and on those clients' schedules only.
STAFF = (
    OWNER,
    StaffData(
        _msp("priya.natarajan"), "Priya Natarajan", "admin", "Europe/London", "+44 20 7946 0102",
        all_clients=True,
    ),
    StaffData(
        _msp("dana.whitfield"), "Dana Whitfield", "manager", "America/New_York", "+1 212 555 0140",
        team=SERVICE_DESK, all_clients=True,
    ),
    # Service Desk
    StaffData(
        _msp("sam.okafor"), "Sam Okafor", "technician", "Europe/London", "+44 20 7946 0110",
        team=SERVICE_DESK, lead=True, all_clients=True,
    ),
    StaffData(
        _msp("jordan.blake"), "Jordan Blake", "technician", "America/New_York", "+1 212 555 0141",
        clients=("hvdental", "cobalt"),  # the Harbourview and Cobalt desk; in no MSP-wide team
    ),
    StaffData(
        _msp("mia.tran"), "Mia Tran", "technician", "Australia/Sydney", "+61 2 5550 1101",
        team=SERVICE_DESK, all_clients=True,
    ),
    StaffData(
        _msp("lena.hoffmann"), "Lena Hoffmann", "technician", "Europe/Berlin", "+49 30 23125 101",
        team=SERVICE_DESK, all_clients=True,
    ),
    StaffData(
        _msp("ruby.ellis"), "Ruby Ellis", "technician", "Europe/London", "+44 20 7946 0111",
        team=SERVICE_DESK, all_clients=True,
    ),
    # Infrastructure
    StaffData(
        _msp("erik.lund"), "Erik Lund", "technician", "Europe/Oslo", "+47 21 99 01 10",
        team=INFRASTRUCTURE, lead=True, all_clients=True,
    ),
    StaffData(
        _msp("aisha.rahman"), "Aisha Rahman", "technician", "Europe/London", "+44 20 7946 0120",
        team=INFRASTRUCTURE, all_clients=True,
    ),
    StaffData(
        _msp("tomas.herrera"), "Tomás Herrera", "technician", "America/Denver", "+1 303 555 0121",
        clients=("cobalt", "hvdental"),
    ),
    StaffData(
        _msp("noah.fischer"), "Noah Fischer", "technician", "Europe/Berlin", "+49 30 23125 102",
        team=INFRASTRUCTURE, all_clients=True,
    ),
    StaffData(
        _msp("chloe.bennett"), "Chloe Bennett", "technician", "Australia/Sydney", "+61 2 5550 1102",
        team=INFRASTRUCTURE, all_clients=True,
    ),
)  # fmt: skip


# --- clients ---------------------------------------------------------------------------------

_HARBOURVIEW = ClientData(
    slug="hvdental",
    name="Harbourview Dental Group",
    timezone="America/New_York",
    country="US",
    region="NY",
    tier="standard",
    seats=95,
    notes="Three practices in New York City. Clinics open 07:30–19:00 weekdays and Saturday mornings; "
    "an outage at the front desk stops check-in and billing. HIPAA: no patient data in tickets.",
    sites=(
        SiteData("Midtown practice", "412 Lexington Avenue, Suite 9\nNew York, NY 10017\nUnited States"),
        SiteData("Brooklyn Heights practice", "88 Montague Street\nBrooklyn, NY 11201\nUnited States"),
        SiteData(
            "Long Island City practice", "27-10 Jackson Avenue\nLong Island City, NY 11101\nUnited States"
        ),
    ),
    services=(
        ServiceData(
            "Practice management", "application", "critical", SERVICE_DESK,
            "Patient records, scheduling, charting and billing for all three practices.",
        ),
        ServiceData(
            "Practice database HVD-SQL01", "database", "critical", INFRASTRUCTURE,
            "SQL Server instance behind practice management, in the Midtown comms room.",
        ),
        ServiceData(
            "Imaging server HVD-IMG01", "server", "high", INFRASTRUCTURE,
            "Stores intra-oral and panoramic X-rays (DICOM); every operatory reads from it.",
        ),
        ServiceData(
            "Microsoft 365 mail", "email", "high", SERVICE_DESK,
            "Mailboxes, shared reception inboxes and appointment reminders.",
        ),
        ServiceData(
            "Practice firewalls and Wi-Fi", "network", "high", INFRASTRUCTURE,
            "Firewall, switches and separate staff and patient Wi-Fi at each practice; site-to-site VPN.",
        ),
        ServiceData(
            "Online booking website", "website", "medium", SERVICE_DESK,
            "harbourviewdental.example: practice pages and the online booking form.",
        ),
        ServiceData(
            "Nightly backups", "backup", "high", INFRASTRUCTURE,
            "Image-level backups of both servers to a local appliance, copied off-site each night.",
        ),
        ServiceData(
            "Front desk and operatory PCs", "endpoint", "medium", SERVICE_DESK,
            "About 60 Windows PCs, label printers and card readers.",
        ),
    ),
    contacts=(
        ContactData(
            "Marisol Ortega", "Practice Operations Manager", "marisol.ortega@harbourviewdental.example",
            "+1 212 555 0171", channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Dr. Rachel Kim", "Clinical Director", "rachel.kim@harbourviewdental.example",
            "+1 212 555 0172", channel="sms", major_only=True, reports=True,
        ),
        ContactData(
            "Kevin Doyle", "Billing Lead", "kevin.doyle@harbourviewdental.example", "+1 212 555 0173",
        ),
    ),
)  # fmt: skip

_KESTREL = ClientData(
    slug="kestrel",
    name="Kestrel Freight & Logistics GmbH",
    timezone="Europe/Berlin",
    country="DE",
    region="BE",
    tier="premium",
    seats=420,
    notes="Road freight and contract warehousing. Depots run three shifts, 24×6; the Sunday "
    "maintenance window is 02:00–06:00 Berlin time. Customers' EDI deadlines are at 18:00.",
    sites=(
        SiteData("Berlin head office", "Gradestraße 88\n12347 Berlin\nGermany"),
        SiteData("Schönefeld distribution centre", "Am Airportpark 14\n12529 Schönefeld\nGermany"),
        SiteData("Hamburg hub", "Kanalstraße 51\n22085 Hamburg\nGermany"),
        SiteData("Leipzig cross-dock", "Torgauer Straße 230\n04347 Leipzig\nGermany"),
    ),
    services=(
        ServiceData(
            "Transport management system", "application", "critical", SERVICE_DESK,
            "Orders, route planning and driver dispatch for the whole fleet.",
        ),
        ServiceData(
            "Warehouse management system", "application", "critical", SERVICE_DESK,
            "Stock, picking and dispatch in Schönefeld and Leipzig; down means trucks wait.",
        ),
        ServiceData(
            "ERP database KFL-DB01", "database", "high", INFRASTRUCTURE,
            "Finance and invoicing database, replicated to the Azure recovery site.",
        ),
        ServiceData(
            "EDI gateway", "server", "critical", INFRASTRUCTURE,
            "AS2 and SFTP exchange of EDIFACT orders and despatch advice with 40 customers.",
        ),
        ServiceData(
            "Depot Wi-Fi and scanner network", "network", "critical", INFRASTRUCTURE,
            "Warehouse Wi-Fi for 180 handheld scanners and forklift terminals; SD-WAN between sites.",
        ),
        ServiceData(
            "Shipment tracking portal", "website", "high", SERVICE_DESK,
            "track.kestrel-freight.example: customers follow consignments and download PODs.",
        ),
        ServiceData(
            "Azure tenancy", "cloud", "high", INFRASTRUCTURE,
            "Landing zone hosting the tracking portal, the EDI gateway's DR copy and file shares.",
        ),
        ServiceData(
            "Microsoft 365 mail", "email", "high", SERVICE_DESK,
            "Mail, Teams and the shared dispatch mailboxes.",
        ),
        ServiceData(
            "Backup and recovery", "backup", "high", INFRASTRUCTURE,
            "Immutable backups of on-premises servers and Microsoft 365, tested quarterly.",
        ),
        ServiceData(
            "Depot PCs and label printers", "endpoint", "medium", SERVICE_DESK,
            "Shared dispatch PCs and thermal label printers at every depot.",
        ),
    ),
    contacts=(
        ContactData(
            "Katrin Vogel", "Head of IT", "katrin.vogel@kestrel-freight.example", "+49 30 23125 201",
            channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Jonas Becker", "Operations Director", "jonas.becker@kestrel-freight.example",
            "+49 30 23125 202", channel="sms", major_only=True,
        ),
        ContactData(
            "Elif Yılmaz", "IT Coordinator", "elif.yilmaz@kestrel-freight.example", "+49 30 23125 203",
        ),
        ContactData(
            "Markus Brandt", "Chief Financial Officer", "markus.brandt@kestrel-freight.example",
            "+49 30 23125 204", major_only=True, reports=True,
        ),
    ),
)  # fmt: skip

_BRIGHTWATER = ClientData(
    slug="bwst",
    name="Brightwater Schools Trust",
    timezone="Europe/London",
    country="GB",
    region="ENG",
    tier="premium",
    seats=1800,
    notes="A multi-academy trust: one secondary academy, two primaries and a central office. "
    "Seats include pupil devices. Exam weeks in May and June are change freezes.",
    sites=(
        SiteData("Trust central office", "Unit 4, Harbour Court\nBristol BS1 6XN\nUnited Kingdom"),
        SiteData("Brightwater Academy", "Westbury Lane\nBristol BS9 2NT\nUnited Kingdom"),
        SiteData("Riverside Primary", "Mill Road\nBristol BS4 4QP\nUnited Kingdom"),
        SiteData("Oakfield Primary", "Oakfield Grove\nBristol BS8 2BN\nUnited Kingdom"),
    ),
    services=(
        ServiceData(
            "Management information system", "cloud", "critical", SERVICE_DESK,
            "Cloud MIS: registers, timetables, behaviour and parent communication for every school.",
        ),
        ServiceData(
            "Web filtering and safeguarding", "network", "critical", INFRASTRUCTURE,
            "Filtering and monitoring required by statutory safeguarding guidance; alerts go to the DSL.",
        ),
        ServiceData(
            "Trust wide-area network", "network", "high", INFRASTRUCTURE,
            "Fibre links between the schools, core switches and 300 Wi-Fi access points.",
        ),
        ServiceData(
            "Microsoft 365 for Education", "email", "high", SERVICE_DESK,
            "Staff and pupil mail, Teams for classes and OneDrive.",
        ),
        ServiceData(
            "Curriculum file server BWS-FS01", "server", "medium", INFRASTRUCTURE,
            "Shared drives for departments and the exams office.",
        ),
        ServiceData(
            "Trust website", "website", "medium", SERVICE_DESK,
            "brightwater-trust.example: news, policies and term dates for parents.",
        ),
        ServiceData(
            "Pupil Chromebooks and staff laptops", "endpoint", "medium", SERVICE_DESK,
            "1,400 managed Chromebooks and 260 staff laptops.",
        ),
        ServiceData(
            "Cloud backup", "backup", "high", INFRASTRUCTURE,
            "Backups of the file server and Microsoft 365, kept for one year.",
        ),
        ServiceData(
            "Cashless catering", "application", "low", SERVICE_DESK,
            "Parent top-ups and till terminals in the school kitchens.",
        ),
    ),
    contacts=(
        ContactData(
            "Helen Armitage", "Trust IT Manager", "helen.armitage@brightwater-trust.example",
            "+44 117 496 0101", channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Daniel Osei", "Chief Operating Officer", "daniel.osei@brightwater-trust.example",
            "+44 117 496 0102", major_only=True, reports=True,
        ),
        ContactData(
            "Sophie Clarke", "Data Manager", "sophie.clarke@brightwater-trust.example", "+44 117 496 0103",
            channel="portal",
        ),
        ContactData(
            "Gareth Hughes", "Headteacher, Brightwater Academy", "gareth.hughes@brightwater-trust.example",
            "+44 117 496 0104", channel="sms", major_only=True,
        ),
        ContactData(
            "Lucy Pemberton", "School Business Manager, Riverside",
            "lucy.pemberton@brightwater-trust.example", "+44 117 496 0105",
        ),
    ),
)  # fmt: skip

_COBALT = ClientData(
    slug="cobalt",
    name="Cobalt Peak Legal LLP",
    timezone="America/Denver",
    country="US",
    region="CO",
    tier="premium",
    seats=60,
    notes="Litigation and real-estate law firm. Court filing deadlines make document management "
    "and e-mail outages urgent at any hour; partners expect a call, not an e-mail.",
    sites=(
        SiteData("Denver office", "1550 Wynkoop Street, Suite 400\nDenver, CO 80202\nUnited States"),
        SiteData("Boulder office", "2120 Pearl Street, Suite 210\nBoulder, CO 80302\nUnited States"),
    ),
    services=(
        ServiceData(
            "Document management", "application", "critical", SERVICE_DESK,
            "Matter-centric document and e-mail filing; the firm cannot file with courts without it.",
        ),
        ServiceData(
            "Time and billing", "application", "high", SERVICE_DESK,
            "Timekeeping, trust accounting and invoicing; month-end is the busiest time.",
        ),
        ServiceData(
            "Microsoft 365 mail", "email", "critical", SERVICE_DESK,
            "Mail with retention and litigation holds; secure mail to clients.",
        ),
        ServiceData(
            "Remote access VPN", "network", "high", INFRASTRUCTURE,
            "Always-on VPN for attorneys working from courts and home.",
        ),
        ServiceData(
            "File server CPL-FS01", "server", "medium", INFRASTRUCTURE,
            "Legacy matter archive, read-only since the move to document management.",
        ),
        ServiceData(
            "Immutable backups", "backup", "critical", INFRASTRUCTURE,
            "Hourly snapshots with an immutable off-site copy, for ransomware recovery.",
        ),
        ServiceData(
            "Attorney laptops", "endpoint", "medium", SERVICE_DESK,
            "Encrypted laptops with docking stations in both offices.",
        ),
    ),
    contacts=(
        ContactData(
            "Tyler Nguyen", "Office Administrator", "tyler.nguyen@cobaltpeaklaw.example", "+1 303 555 0181",
            channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Margaret Ellison", "Managing Partner", "margaret.ellison@cobaltpeaklaw.example",
            "+1 303 555 0182", channel="phone", major_only=True, reports=True,
        ),
        ContactData(
            "Brooke Sandoval", "Litigation Support Manager", "brooke.sandoval@cobaltpeaklaw.example",
            "+1 303 555 0183",
        ),
    ),
)  # fmt: skip

_PAWS = ClientData(
    slug="paws",
    name="Paws & Claws Veterinary Clinics",
    timezone="Australia/Sydney",
    country="AU",
    region="NSW",
    tier="essential",
    seats=38,
    notes="Three small-animal clinics; Surry Hills runs an after-hours emergency service until "
    "midnight. Business hours support only on the Essential tier.",
    sites=(
        SiteData("Surry Hills clinic", "212 Crown Street\nSurry Hills NSW 2010\nAustralia"),
        SiteData("Parramatta clinic", "45 Church Street\nParramatta NSW 2150\nAustralia"),
        SiteData("Chatswood clinic", "9 Help Street\nChatswood NSW 2067\nAustralia"),
    ),
    services=(
        ServiceData(
            "Veterinary practice management", "cloud", "critical", SERVICE_DESK,
            "Cloud practice software: patient histories, appointments, pharmacy and invoicing.",
        ),
        ServiceData(
            "Clinic network and Wi-Fi", "network", "high", INFRASTRUCTURE,
            "Router, switch and Wi-Fi in each clinic, with 4G failover.",
        ),
        ServiceData(
            "Microsoft 365 mail", "email", "medium", SERVICE_DESK,
            "Mail and the shared appointments inbox.",
        ),
        ServiceData(
            "Reception and consult-room PCs", "endpoint", "medium", SERVICE_DESK,
            "Reception PCs, EFTPOS terminals and consult-room tablets.",
        ),
        ServiceData(
            "Cloud backup", "backup", "medium", INFRASTRUCTURE,
            "Backup of Microsoft 365 and the X-ray workstation.",
        ),
    ),
    contacts=(
        ContactData(
            "Jess McAllister", "Practice Manager", "jess.mcallister@pawsandclaws.example", "+61 2 5550 2101",
            channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Dr. Olivia Hart", "Principal Veterinarian", "olivia.hart@pawsandclaws.example",
            "+61 2 5550 2102", channel="sms", major_only=True,
        ),
        ContactData(
            "Liam Chen", "Reception Team Lead", "liam.chen@pawsandclaws.example", "+61 2 5550 2103",
            channel="sms",
        ),
    ),
)  # fmt: skip

_FJORDBEAN = ClientData(
    slug="fjordbean",
    name="Fjord Bean Coffee",
    timezone="Europe/Oslo",
    country="NO",
    region="",
    tier="essential",
    seats=12,
    notes="Two cafés in Oslo. The tills must work from 07:00; everything else can wait for the "
    "next business day.",
    sites=(
        SiteData("Grünerløkka café", "Thorvald Meyers gate 40\n0555 Oslo\nNorway"),
        SiteData("Aker Brygge café", "Stranden 3\n0250 Oslo\nNorway"),
    ),
    services=(
        ServiceData(
            "Point of sale", "cloud", "critical", SERVICE_DESK,
            "Cloud till system with card terminals; works offline for a few hours.",
        ),
        ServiceData(
            "Café internet and guest Wi-Fi", "network", "high", INFRASTRUCTURE,
            "Fibre router and guest Wi-Fi in each café; 4G backup for the tills.",
        ),
        ServiceData(
            "Online ordering website", "website", "medium", SERVICE_DESK,
            "fjordbean.example: menus, click-and-collect orders and gift cards.",
        ),
        ServiceData(
            "E-mail", "email", "low", SERVICE_DESK,
            "Five mailboxes and the orders@ shared inbox.",
        ),
    ),
    contacts=(
        ContactData(
            "Ingrid Solberg", "Owner", "ingrid@fjordbean.example", "+47 21 99 02 10",
            channel="phone", primary=True, reports=True,
        ),
        ContactData(
            "Magnus Dahl", "Café Manager, Grünerløkka", "magnus@fjordbean.example", "+47 21 99 02 11",
            channel="sms",
        ),
    ),
)  # fmt: skip

_SALTMARSH = ClientData(
    slug="saltmarsh",
    name="Saltmarsh Architects",
    timezone="Europe/London",
    country="GB",
    region="ENG",
    tier="standard",
    seats=24,
    is_active=False,
    notes="Former client: the contract ended on 31 March 2025 when the practice was acquired. "
    "Kept for incident history and reporting; no new incidents.",
    sites=(SiteData("Bristol studio", "Wapping Wharf, 2 Gaol Ferry Steps\nBristol BS1 6WP\nUnited Kingdom"),),
    services=(
        ServiceData(
            "CAD file server SAL-FS01", "server", "high", INFRASTRUCTURE,
            "Project drawings and models; decommissioned at handover.", is_active=False,
        ),
        ServiceData(
            "Microsoft 365 mail", "email", "medium", SERVICE_DESK,
            "Mail tenancy, transferred to the acquiring practice.", is_active=False,
        ),
        ServiceData(
            "Backups", "backup", "medium", INFRASTRUCTURE,
            "Final backup set handed over on encrypted disk.", is_active=False,
        ),
    ),
    contacts=(
        ContactData(
            "Owen Marsh", "Director", "owen.marsh@saltmarsh-architects.example", "+44 117 496 0201",
            primary=True, reports=True, updates=False,
        ),
        ContactData(
            "Priya Shah", "Studio Manager", "priya.shah@saltmarsh-architects.example", "+44 117 496 0202",
            updates=False,
        ),
    ),
)  # fmt: skip

CLIENTS = (_BRIGHTWATER, _KESTREL, _HARBOURVIEW, _COBALT, _PAWS, _FJORDBEAN, _SALTMARSH)

PORTAL_USERS = (
    PortalUserData("marisol.ortega@harbourviewdental.example", "Marisol Ortega", "client_admin", "hvdental"),
    PortalUserData("kevin.doyle@harbourviewdental.example", "Kevin Doyle", "client_user", "hvdental"),
    PortalUserData("katrin.vogel@kestrel-freight.example", "Katrin Vogel", "client_admin", "kestrel"),
    PortalUserData("elif.yilmaz@kestrel-freight.example", "Elif Yılmaz", "client_user", "kestrel"),
    PortalUserData("helen.armitage@brightwater-trust.example", "Helen Armitage", "client_admin", "bwst"),
    PortalUserData("sophie.clarke@brightwater-trust.example", "Sophie Clarke", "client_user", "bwst"),
)

# The portal login named next to the owner's in the login file.
PORTAL_LOGIN = PORTAL_USERS[0]
