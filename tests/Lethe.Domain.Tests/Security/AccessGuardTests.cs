using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Security;

public sealed class AccessGuardTests
{
    private static readonly Tenant ActiveT1 = new("t1-acme", "Acme", TenantState.Active, DateTimeOffset.UnixEpoch, 1);
    private static readonly Tenant TerminatedT1 = ActiveT1 with { State = TenantState.Terminated };

    private static Principal Token(string tenant, params string[] roles) => new("user-1", tenant, roles);

    [Fact]
    public void Evaluate_when_no_principal_should_be_unauthenticated() =>
        AccessGuard.Evaluate(null, "t1-acme", Capability.ReadTenant, ActiveT1).Should().Be(AccessOutcome.Unauthenticated);

    [Fact]
    public void Evaluate_when_token_is_for_another_tenant_should_be_forbidden_even_if_the_route_tenant_does_not_exist() =>
        AccessGuard.Evaluate(Token("t2-other", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, null)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_when_role_may_not_do_it_should_be_forbidden_before_revealing_termination() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.Subject), "t1-acme", Capability.ReadTenant, TerminatedT1)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_when_tenant_is_terminated_should_be_gone() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, TerminatedT1)
            .Should().Be(AccessOutcome.Gone);

    [Fact]
    public void Evaluate_when_a_tenant_being_offboarded_is_changed_should_be_offboarding() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ManageSettings, ActiveT1 with { State = TenantState.Offboarding }, changes: true)
            .Should().Be(AccessOutcome.Offboarding);

    [Fact]
    public void Evaluate_when_a_tenant_being_offboarded_is_read_should_be_allowed() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadRequests, ActiveT1 with { State = TenantState.Offboarding }, changes: false)
            .Should().Be(AccessOutcome.Allowed);

    [Fact]
    public void Evaluate_when_a_platform_admin_reads_the_evidence_of_a_terminated_tenant_should_be_allowed() =>
        AccessGuard.Evaluate(Token("platform", Roles.PlatformAdmin), "t1-acme", Capability.ReadRequests, TerminatedT1, changes: false, evidenceOfTermination: true)
            .Should().Be(AccessOutcome.Allowed);

    [Fact]
    public void Evaluate_when_a_tenant_admin_reads_the_evidence_of_its_terminated_tenant_should_be_gone() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadRequests, TerminatedT1, changes: false, evidenceOfTermination: true)
            .Should().Be(AccessOutcome.Gone);

    [Fact]
    public void Evaluate_when_a_platform_admin_changes_a_terminated_tenant_should_be_gone_whatever_the_route() =>
        AccessGuard.Evaluate(Token("platform", Roles.PlatformAdmin), "t1-acme", Capability.ManageTenants, TerminatedT1, changes: true, evidenceOfTermination: true)
            .Should().Be(AccessOutcome.Gone);

    [Fact]
    public void Evaluate_when_tenant_does_not_exist_should_be_not_found() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ReadTenant, null)
            .Should().Be(AccessOutcome.NotFound);

    [Fact]
    public void Evaluate_when_platform_admin_reads_any_tenant_should_be_allowed() =>
        AccessGuard.Evaluate(Token("platform", Roles.PlatformAdmin), "t1-acme", Capability.ReadTenant, ActiveT1)
            .Should().Be(AccessOutcome.Allowed);

    [Theory]
    [InlineData(Roles.Service, true)]
    [InlineData(Roles.TenantAdmin, true)]
    [InlineData(Roles.Auditor, true)]
    [InlineData(Roles.Subject, false)]
    public void Evaluate_read_tenant_follows_the_roles_table(string role, bool allowed) =>
        AccessGuard.Evaluate(Token("t1-acme", role), "t1-acme", Capability.ReadTenant, ActiveT1)
            .Should().Be(allowed ? AccessOutcome.Allowed : AccessOutcome.Forbidden);

    [Fact]
    public void Evaluate_manage_tenants_is_for_platform_admins_only() =>
        AccessGuard.Evaluate(Token("t1-acme", Roles.TenantAdmin), "t1-acme", Capability.ManageTenants, ActiveT1)
            .Should().Be(AccessOutcome.Forbidden);

    [Fact]
    public void Primary_role_when_token_holds_several_should_be_the_most_privileged() =>
        Token("t1-acme", Roles.Auditor, Roles.Service).PrimaryRole.Should().Be(Roles.Auditor);
}
