using Lethe.Aws.Keys;

namespace Lethe.Aws.Tests.Keys;

/// <summary>Which tenant an alias of Lethe's names: the BYOK probe refuses a key whose alias names another tenant.</summary>
public sealed class TenantKeyAliasTests
{
    private const string Prefix = "alias/lethe-prod-tenant-";

    [Theory]
    [InlineData("alias/lethe-prod-tenant-acme", "acme")]
    [InlineData("alias/lethe-prod-tenant-acme--2f6f864a-21f1-4726-8e2f-2810b8db4be4", "acme")]
    [InlineData("alias/lethe-prod-tenant-acme--eu", "acme--eu")]
    [InlineData("alias/lethe-prod-tenant-my--team--2f6f864a-21f1-4726-8e2f-2810b8db4be4", "my--team")]
    public void Tenant_of_alias_reads_the_tenant_of_a_first_or_a_rotated_key(string alias, string tenant)
    {
        KmsTenantKeys.TenantOfAlias(alias, Prefix).Should().Be(tenant);
    }

    [Fact]
    public void Tenant_of_alias_names_no_tenant_for_an_alias_outside_lethes_prefix()
    {
        KmsTenantKeys.TenantOfAlias("alias/customer-key", Prefix).Should().BeNull();
    }
}
