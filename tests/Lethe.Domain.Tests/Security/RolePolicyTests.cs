using Lethe.Domain.Security;

namespace Lethe.Domain.Tests.Security;

/// <summary>Subject-bound permissions: a second role never widens what the subject role reaches (API.md, Auth).</summary>
public sealed class RolePolicyTests
{
    private static Principal Alice(params string[] roles) => new("alice", "t1-acme", roles);

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Service)]
    public void Scope_of_when_the_other_role_does_not_grant_downloads_should_reach_only_the_own_subject(string other) =>
        RolePolicy.ScopeOf(Alice(Roles.Subject, other), Capability.DownloadExports).Should().Be(SubjectScope.OwnSubject);

    [Fact]
    public void Scope_of_when_a_tenant_admin_role_grants_it_should_reach_every_subject() =>
        RolePolicy.ScopeOf(Alice(Roles.Subject, Roles.TenantAdmin), Capability.DownloadExports).Should().Be(SubjectScope.AnySubject);

    [Fact]
    public void Scope_of_when_no_role_grants_it_should_reach_nothing() =>
        RolePolicy.ScopeOf(Alice(Roles.Auditor), Capability.DownloadExports).Should().Be(SubjectScope.None);

    [Theory]
    [InlineData("alice", true)]
    [InlineData("bob", false)]
    public void May_act_for_when_subject_and_auditor_manage_consents_should_follow_the_objects_subject(string subjectId, bool allowed) =>
        RolePolicy.MayActFor(Alice(Roles.Subject, Roles.Auditor), Capability.ManageConsents, subjectId).Should().Be(allowed);

    [Fact]
    public void May_act_for_when_service_reads_another_subjects_records_should_allow_through_the_service_role() =>
        RolePolicy.MayActFor(Alice(Roles.Subject, Roles.Service), Capability.ReadRecords, "bob").Should().BeTrue();

    [Fact]
    public void May_act_for_when_the_object_has_no_subject_should_refuse_the_subject_role() =>
        RolePolicy.MayActFor(Alice(Roles.Subject), Capability.ReadRecords, null).Should().BeFalse();
}
