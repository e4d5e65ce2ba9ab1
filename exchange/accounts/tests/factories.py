import factory

from exchange.accounts.models import (
    Membership,
    MembershipRole,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Role,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password = factory.PostGenerationMethodCall("set_password", "s3cret-pass-123")
    language = "vi"

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """``UserFactory(roles=["moderator"])`` gives the user those platform roles."""
        if create:
            self.save()
            if extracted:
                self.roles.set(Role.objects.filter(code__in=extracted))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    ref = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Trường Đại học Thử nghiệm {n}")
    kind = factory.LazyFunction(lambda: OrganizationKind.objects.get(code="university"))
    country = "VN"
    verified = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.MEMBER
    status = MembershipStatus.ACTIVE


def staff_user(**kwargs) -> User:
    """An exchange staff member (platform role ``staff``, not a Django superuser)."""
    return UserFactory(roles=["staff"], **kwargs)


def manager_of(organization, **kwargs) -> User:
    """A user who is an active TTO manager of ``organization``."""
    return MembershipFactory(organization=organization, role=MembershipRole.TTO_MANAGER, **kwargs).user
