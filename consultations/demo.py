"""Demo consultations (seed_demo): a finished session with results, and a live session waiting in its lobby."""

import random

from django.db import transaction

from cities.models import City, User

from . import services
from .models import AgeBand, Consultation, Gender, Item, ItemStatus, Phase, Session

CONTENT = {
    "fes": {
        "title": "Fès : la parole aux jeunes 2026",
        "description": "تسع جلسات تشاورية مع شباب فاس قبل إحداث المجلس الجماعي للشباب.",
        "themes": ["Emploi", "Espaces publics", "Culture et sport"],
        "challenges": [
            "البطالة بعد التخرج وغياب التوجيه المهني",
            "Pas assez d'espaces verts et de terrains de sport dans les quartiers",
            "صعوبة التنقل ليلا بين الأحياء والجامعة",
            "Les jeunes ne savent pas comment participer aux décisions de la commune",
            "غياب دور الشباب في الأحياء الهامشية",
            "Le harcèlement en ligne et les discours de haine sur les réseaux",
        ],
        "proposals": [
            "Un guichet d'orientation emploi dans chaque arrondissement",
            "فتح ملاعب القرب مجانا يوم السبت",
            "Un conseil des jeunes consulté sur chaque budget de quartier",
            "حافلة ليلية تربط الجامعة بالأحياء",
        ],
    },
    "saida": {
        "title": "Saida Youth Voices 2026",
        "description": "جلسات استماع لشباب صيدا حول أولويات المدينة.",
        "themes": ["Jobs", "Public space", "Environment"],
        "challenges": [
            "Few internships for young graduates in the city",
            "الشاطئ غير نظيف ولا توجد أماكن آمنة للشباب",
            "Power cuts make studying at night impossible",
            "لا توجد مساحات ثقافية مجانية في البلدة القديمة",
            "Young people from different neighbourhoods rarely meet",
        ],
        "proposals": [
            "A municipal internship programme with local businesses",
            "حملة تنظيف شهرية للشاطئ يقودها الشباب",
            "Solar-powered study rooms in the public library",
        ],
    },
}

LIVE_TITLE = "Live session (demo)"
PAST_TITLE = "Session 1 — listening (demo)"


@transaction.atomic
def seed_city(*, city: City, staff: dict[str, User], context: dict) -> None:
    content = CONTENT[city.slug]
    facilitator = staff["facilitator"]
    consultation = Consultation.objects.filter(city=city, title=content["title"]).first()
    if consultation is None:
        consultation = services.consultation_create(
            city=city,
            title=content["title"],
            description=content["description"],
            themes=content["themes"],
            created_by=facilitator,
            participants_may_be_minors=True,
        )
    past = consultation.sessions.filter(title=PAST_TITLE).first()
    if past is None:
        past = _past_session(consultation, facilitator, content)
    live = consultation.sessions.filter(title=LIVE_TITLE, phase=Phase.LOBBY).first()
    if live is None:
        live = services.session_create(consultation=consultation, title=LIVE_TITLE, created_by=facilitator)
    context.update(
        consultation=consultation,
        session=live,
        past_session=past,
        winning_items=list(
            Item.objects.filter(session=past, kind="proposal", status=ItemStatus.APPROVED).order_by("-id")[:3]
        ),
    )


def _past_session(consultation: Consultation, facilitator: User, content: dict) -> Session:
    rng = random.Random(f"majlis-demo-{consultation.city.slug}")
    session = services.session_create(
        consultation=consultation,
        title=PAST_TITLE,
        created_by=facilitator,
        premoderation=True,
        place="Maison des jeunes" if consultation.city.slug == "fes" else "Municipal cultural centre",
    )
    districts = list(consultation.city.districts.all())
    participants = [
        services.participant_join(
            code=session.join_code,
            consent=True,
            age_band=rng.choice([AgeBand.AGE_15_17, AgeBand.AGE_18_24, AgeBand.AGE_18_24, AgeBand.AGE_25_29]),
            gender=rng.choice([Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.UNSAID]),
            district=rng.choice(districts).pk,
        )
        for _ in range(42)
    ]
    services.session_set_phase(session=session, phase=Phase.CHALLENGES, actor=facilitator)
    challenges = []
    for text in content["challenges"]:
        item = services.item_submit(participant=rng.choice(participants), kind="challenge", text=text)
        challenges.append(services.item_moderate(item=item, action="approve", actor=facilitator))
    services.session_set_phase(session=session, phase=Phase.CHALLENGE_VOTING, actor=facilitator)
    _vote(rng, participants, challenges)
    services.session_set_phase(session=session, phase=Phase.PROPOSALS, actor=facilitator)
    proposals = []
    for text in content["proposals"]:
        item = services.item_submit(
            participant=rng.choice(participants), kind="proposal", text=text, answers=[rng.choice(challenges).pk]
        )
        proposals.append(services.item_moderate(item=item, action="approve", actor=facilitator))
    services.session_set_phase(session=session, phase=Phase.PROPOSAL_VOTING, actor=facilitator)
    _vote(rng, participants, proposals)
    services.session_publish(session=session, actor=facilitator)
    return session


def _vote(rng, participants, items) -> None:
    weights = [len(items) - i for i in range(len(items))]
    for participant in participants:
        chosen = {rng.choices(items, weights=weights)[0] for _ in range(rng.randint(1, 3))}
        for item in chosen:
            services.vote_cast(participant=participant, item_id=item.pk)
