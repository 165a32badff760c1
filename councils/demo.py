"""Demo youth councils (seed_demo): a council per city with believable members, committees, an elected president,
two meetings with attendance and a few candidates who opted in at the demo consultation. Idempotent: a city
that already has its council is left as it is (candidates are refreshed in place)."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from cities.models import City, User

from . import services
from .models import ADULT_AGE, BallotCode, Council, MembershipStatus, age_on

FES_MEMBERS = [
    ("Salma Alaoui", "female"),
    ("Youssef Benjelloun", "male"),
    ("فاطمة الزهراء بناني", "female"),
    ("Mehdi El Fassi", "male"),
    ("Kenza Tazi", "female"),
    ("عمر الإدريسي", "male"),
    ("Hajar Berrada", "female"),
    ("Anas Chraibi", "male"),
    ("Imane Lahlou", "female"),
    ("حمزة العلمي", "male"),
    ("Nour El Houda Sqalli", "female"),
    ("Ayoub Bennis", "male"),
    ("Chaimae Filali", "female"),
    ("ياسين الشرقاوي", "male"),
    ("Oumaima Kettani", "female"),
    ("Zakaria Amrani", "male"),
    ("مريم بنسودة", "female"),
    ("Achraf Guessous", "male"),
    ("Soukaina Mernissi", "female"),
    ("Ilyas Tahiri", "male"),
    ("Rim Benkirane", "female"),
    ("إسماعيل الوزاني", "male"),
    ("Wiam Lamrani", "female"),
    ("Othmane Sefrioui", "male"),
    ("Douae Bouzoubaa", "female"),
    ("Hamza Naciri", "male"),
    ("سارة القادري", "female"),
    ("Reda Jamai", "male"),
    ("Yasmine Cherkaoui", "female"),
    ("Adam Zniber", "male"),
]
SAIDA_MEMBERS = [
    ("Rana Bizri", "female"),
    ("Karim Hariri", "male"),
    ("لين سعد", "female"),
    ("Ali Osseiran", "male"),
    ("Maya Kalash", "female"),
    ("محمد البزري", "male"),
    ("Nour Saad", "female"),
    ("Hadi Bsat", "male"),
    ("Yara Dandan", "female"),
    ("عمر الزين", "male"),
    ("Jana Hammoud", "female"),
    ("Tarek Shaaban", "male"),
]

SPECS = {
    "fes": {
        "name": "Communal Youth Council",
        "mandate": "Conseil consultatif des jeunes de la commune de Fès : avis sur le plan d'action communal, "
        "propositions de projets et suivi des consultations.",
        "seat_count": 91,
        "eligibility_notes": "15 à 35 ans, résider dans l'une des six arrondissements de Fès. "
        "Moins de 18 ans : accord d'un parent ou tuteur.",
        "members": FES_MEMBERS,
        "committees": [
            "Emploi et entrepreneuriat",
            "Culture et sport",
            "Environnement et espaces publics",
            "Participation et numérique",
        ],
        "meetings": [
            ("Session plénière d'installation", "Dar Chabab Agdal"),
            ("Commission mixte : budget participatif", "Hôtel de ville"),
        ],
        "phone_prefix": "+212 6",
    },
    "saida": {
        "name": "Saida Municipal Youth Council",
        "mandate": "Advises the municipal council on youth priorities and follows youth-led projects.",
        "seat_count": 25,
        "eligibility_notes": "Aged 15 to 35 and living in Saida. Under 18: a parent or guardian must agree.",
        "members": SAIDA_MEMBERS,
        "committees": ["Environment", "Culture", "Jobs"],
        "meetings": [("First plenary", "Municipal cultural centre"), ("Beach clean-up planning", "Municipality")],
        "phone_prefix": "+961 3",
    },
}
MINUTES = {
    "fes": "Le quorum est atteint. Le règlement intérieur est adopté à l'unanimité. Les quatre commissions sont "
    "constituées ; chacune présentera sa feuille de route à la prochaine séance.",
    "saida": "Quorum reached. The rules of procedure were adopted. Three committees were formed and will present "
    "their plans at the next meeting.",
}


@transaction.atomic
def seed_city(*, city: City, staff: dict[str, User], context: dict) -> None:
    spec = SPECS.get(city.slug)
    if spec is None:
        return
    council = Council.objects.filter(city=city).first()
    if council is None:
        council = _council(city, staff["secretariat"], spec)
    _candidates(council, context)
    context["council"] = council


def _council(city: City, actor: User, spec: dict) -> Council:
    rng = random.Random(f"majlis-council-{city.slug}")
    today = timezone.localdate()
    starts = datetime.date(today.year - 1, 6, 1)
    council = services.council_create(
        city=city,
        name=spec["name"],
        mandate=spec["mandate"],
        seat_count=spec["seat_count"],
        eligibility_notes=spec["eligibility_notes"],
        term_name=f"{starts.year}–{starts.year + 3}",
        term_starts_on=starts,
        term_ends_on=datetime.date(starts.year + 3, 5, 31),
        actor=actor,
    )
    term = council.terms.get()
    districts = list(city.districts.all())
    share, extra = divmod(council.seat_count, len(districts))
    services.district_targets_set(
        council=council, targets={d.pk: share + (1 if i < extra else 0) for i, d in enumerate(districts)}, actor=actor
    )
    committees = [services.committee_create(council=council, name=name, actor=actor) for name in spec["committees"]]
    members = []
    for i, (name, gender) in enumerate(spec["members"]):
        age = rng.choice([16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31])
        born = datetime.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        ends_on = today + datetime.timedelta(days=45) if i == 7 else None
        members.append(
            services.membership_add(
                term=term,
                actor=actor,
                full_name=name,
                gender=gender,
                date_of_birth=born,
                district=districts[i % len(districts)],
                phone=f"{spec['phone_prefix']}{rng.randint(10000000, 99999999)}",
                organisation=rng.choice(["Université Sidi Mohamed Ben Abdellah", "Association Jeunes Fès", "Lycée", ""])
                if city.slug == "fes"
                else rng.choice(["Lebanese University", "Scouts", "Youth centre", ""]),
                selection_method=rng.choice(["elected", "elected", "appointed", "lot"]),
                starts_on=starts,
                ends_on=ends_on,
                committees=[committees[i % len(committees)]],
                guardian_consent=age_on(born, starts) < ADULT_AGE,
                reason="Installed at the start of the term",
            )
        )
    services.membership_update(
        membership=members[5], actor=actor, reason="Suspended for repeated absence", status=MembershipStatus.SUSPENDED
    )
    for role, membership in (("secretary", members[2]), ("rapporteur", members[3]), ("committee_chair", members[4])):
        services.membership_update(membership=membership, actor=actor, reason="Chosen by the plenary", role=role)
    # The president is elected by secret ballot among three candidates.
    election = services.election_create(
        council=council,
        term=term,
        title="Élection du président" if city.slug == "fes" else "Election of the president",
        role="president",
        candidates=[members[0], members[1], members[6]],
        actor=actor,
        quorum_percent=50,
    )
    services.election_open(election=election, actor=actor)
    candidates = [members[0], members[1], members[6]]
    codes = list(BallotCode.objects.filter(election=election).order_by("code"))
    turnout = int(len(codes) * 0.85)
    for i, code in enumerate(codes[:turnout]):
        # About half for the first candidate, then a third, then the rest; a deterministic, believable count.
        share = i / turnout
        services.ballot_cast(code=code.code, choice=candidates[0 if share < 0.5 else 1 if share < 0.8 else 2])
    services.election_close(election=election, actor=actor)
    now = timezone.now()
    for (title, place), days_ago in zip(spec["meetings"], (60, 14), strict=True):
        meeting = services.meeting_schedule(
            council=council,
            title=title,
            place=place,
            actor=actor,
            scheduled_at=now - datetime.timedelta(days=days_ago, hours=2),
            agenda="1. Accueil\n2. Règlement intérieur\n3. Commissions"
            if city.slug == "fes"
            else "1. Welcome\n2. Rules\n3. Committees",
        )
        services.meeting_update(meeting=meeting, actor=actor, minutes=MINUTES[city.slug])
        for membership in members:
            if membership.pk == members[5].pk or rng.random() < 0.75:
                services.attendance_record(meeting=meeting, membership=membership, actor=actor)
    return council


def _candidates(council: Council, context: dict) -> None:
    """Three participants of the demo's finished session who asked to hear about the council."""
    session = context.get("past_session") or context.get("session")
    if session is None:
        return
    names = (
        ["Aya Benmoussa", "Walid Ouazzani", "Ghita Skalli"]
        if council.city.slug == "fes"
        else ["Sara Kalash", "Rami Bsat", "Dana Zein"]
    )
    participants = list(session.participants.order_by("id")[: len(names)])
    districts = list(council.city.districts.all())
    for i, (participant, name) in enumerate(zip(participants, names, strict=False)):
        age = participant_age(participant.age_band, i)
        services.candidate_opt_in(
            participant=participant,
            name=name,
            phone=f"{'+212 6' if council.city.slug == 'fes' else '+961 3'}1234567{i}",
            district=districts[i % len(districts)] if districts else None,
            age=age,
            consent=True,
            guardian_consent=age < 18,
        )


def participant_age(age_band: str, i: int) -> int:
    return {"15_17": 17, "18_24": 21 + i, "25_29": 27, "30_35": 32}.get(age_band, 22)
