using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Security;

public sealed class AccessGuardTests
{
    private static readonly Tenant ActiveT1 = new("t1-acme", "Acme", TenantState.Active, DateTimeOffset.UnixEpoch, 1);
    private static readonly Tenant TerminatedT1 = ActiveT1 with { State = TenantState.Terminated };

    private static Principal Token(string tenant, params string[] roles) => new("user-1", tenant, roles);

    [Fact]
    public void Evaluate_WhenNoPrincipal_ShouldBeUnauthenticated() =>
        AccessGuard.Evaluate(null, "t1-acme", Capability.ReadTenant, ActiveT1).Should().Be(AccessOutcome.Unauthenticated);

    [Fact]
    public void Evaluate_WhenTokenIsForAnotherTenant_ShouldBeForbiddenEvenIfTheRouteTenantDoesNotExist() =>
        AccessGuard.Evaluate(Token("t2-other", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, null)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_WhenRoleMayNotDoIt_ShouldBeForbiddenBeforeRevealingTermination() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.Subject), "t1-acme", Capability.ReadTenant, TerminatedT1)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_WhenTenantIsTerminated_ShouldBeGone() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, TerminatedT1)
            .Should().Be(AccessOutcome.Gone);

    [Fact]
    public void Evaluate_WhenTenantDoesNotExist_ShouldBeNotFound() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, null)
            .Should().Be(AccessOutcome.NotFound);

    [Fact]
    public void Evaluate_WhenPlatformAdminReadsAnyTenant_ShouldBeAllowed() =>
        AccessGuard.Evaluate(Token("platform", Roles.PlatformAdmin), "t1-acme", Capability.ReadTenant, ActiveT1)
            .Should().Be(AccessOutcome.Allowed);

    [Theory]
    [InlineData(Roles.Service, true)]
    [InlineData(Roles.TenantAdmin, true)]
    [InlineData(Roles.Auditor, true)]
    [InlineData(Roles.Subject, false)]
    public void Evaluate_ReadTenant_FollowsTheRolesTable(string role, bool allowed) =>
        AccessGuard.Evaluate(Token("t1-acme", role), "t1-acme", Capability.ReadTenant, ActiveT1)
            .Should().Be(allowed ? AccessOutcome.Allowed : AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_ManageTenants_IsForPlatformAdminsOnly() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ManageTenants, ActiveT1)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void PrimaryRole_WhenTokenHoldsSeveral_ShouldBeTheMostPrivileged() =>
        Token("t1-acme", Roles.Auditor, Roles.Service).PrimaryRole.Should().Be(Roles.Auditor);
}
