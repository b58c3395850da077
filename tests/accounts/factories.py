from __future__ import annotations

from typing import Any

import factory

from watchkeeper.accounts.models import Role, Team, User

PASSWORD = "a-Good-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.TECHNICIAN
    all_clients = factory.LazyAttribute(lambda o: o.role in {Role.OWNER, Role.ADMIN})
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.OWNER)

    @factory.post_generation
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
