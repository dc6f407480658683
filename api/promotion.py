"""The current promotion and whether an account takes part in it.

Rule from seed 000 (section 3.1): residents of the promotion's territories who
registered in the personal web account during the promotion's period take part.
`reasons` are machine codes the IVR turns into speech:
territory_included / territory_not_included, registered_during_promotion /
not_registered / registered_before_promotion / registered_after_promotion.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api import schemas
from api.models import Account, Promotion


def current_promotion(session: Session, today: date) -> Promotion | None:
    return session.scalar(
        select(Promotion)
        .where(Promotion.starts_on <= today, Promotion.ends_on >= today)
        .options(selectinload(Promotion.territories), selectinload(Promotion.terms))
        .order_by(Promotion.starts_on.desc(), Promotion.id.desc())
        .limit(1)
    )


def promotion_out(promo: Promotion) -> schemas.Promotion:
    return schemas.Promotion(
        id=promo.id,
        name=promo.name,
        starts_on=promo.starts_on.isoformat(),
        ends_on=promo.ends_on.isoformat(),
        territories=[t.suffix for t in promo.territories],
        prize=promo.prize,
        terms=[
            schemas.PromotionTerm(topic=t.topic, question=t.question, answer=t.answer, source=t.source)
            for t in promo.terms
        ],
    )


def participation(promo: Promotion, account: Account) -> schemas.Participation:
    reasons = []
    in_territory = account.suffix in {t.suffix for t in promo.territories}
    reasons.append("territory_included" if in_territory else "territory_not_included")
    registered = account.web_registered_on
    if registered is None:
        reasons.append("not_registered")
    elif registered < promo.starts_on:
        reasons.append("registered_before_promotion")
    elif registered > promo.ends_on:
        reasons.append("registered_after_promotion")
    else:
        reasons.append("registered_during_promotion")
    return schemas.Participation(
        participating=reasons == ["territory_included", "registered_during_promotion"],
        reasons=reasons,
    )
