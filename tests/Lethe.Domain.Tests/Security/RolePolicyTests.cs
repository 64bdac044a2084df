using Lethe.Domain.Security;

namespace Lethe.Domain.Tests.Security;

/// <summary>Subject-bound permissions: a second role never widens what the subject role reaches (API.md, Auth).</summary>
public sealed class RolePolicyTests
{
    private static Principal Alice(params string[] roles) => new("alice", "t1-acme", roles);

    [Theory]
    [InlineData(Roles.Auditor)]
    [InlineData(Roles.Service)]
    public void ScopeOf_WhenTheOtherRoleDoesNotGrantDownloads_ShouldReachOnlyTheOwnSubject(string other) =>
        RolePolicy.ScopeOf(Alice(Roles.Subject, other), Capability.DownloadExports).Should().Be(SubjectScope.OwnSubject);

    [Fact]
    public void ScopeOf_WhenATenantAdminRoleGrantsIt_ShouldReachEverySubject() =>
        RolePolicy.ScopeOf(Alice(Roles.Subject, Roles.TenantAdmin), Capability.DownloadExports).Should().Be(SubjectScope.AnySubject);

    [Fact]
    public void ScopeOf_WhenNoRoleGrantsIt_ShouldReachNothing() =>
        RolePolicy.ScopeOf(Alice(Roles.Auditor), Capability.DownloadExports).Should().Be(SubjectScope.None);

    [Theory]
    [InlineData("alice", true)]
    [InlineData("bob", false)]
    public void MayActFor_WhenSubjectAndAuditorManageConsents_ShouldFollowTheObjectsSubject(string subjectId, bool allowed) =>
        RolePolicy.MayActFor(Alice(Roles.Subject, Roles.Auditor), Capability.ManageConsents, subjectId).Should().Be(allowed);

    [Fact]
    public void MayActFor_WhenServiceReadsAnotherSubjectsRecords_ShouldAllowThroughTheServiceRole() =>
        RolePolicy.MayActFor(Alice(Roles.Subject, Roles.Service), Capability.ReadRecords, "bob").Should().BeTrue();

    [Fact]
    public void MayActFor_WhenTheObjectHasNoSubject_ShouldRefuseTheSubjectRole() =>
        RolePolicy.MayActFor(Alice(Roles.Subject), Capability.ReadRecords, null).Should().BeFalse();
}
