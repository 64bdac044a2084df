using FsCheck;
using FsCheck.Fluent;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Tenancy;

public sealed class TenantIdTests
{
    [Theory]
    [InlineData("t1a")]
    [InlineData("acme-coaching-eu-1")]
    [InlineData("0123456789012345678901234567890123456789")]
    public void Is_valid_when_well_formed_should_accept(string id) => TenantId.IsValid(id).Should().BeTrue();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("t1")]
    [InlineData("Acme")]
    [InlineData("acme_eu")]
    [InlineData("acme/eu")]
    [InlineData("acme eu")]
    [InlineData("01234567890123456789012345678901234567890")]
    public void Is_valid_when_malformed_should_reject(string? id) => TenantId.IsValid(id).Should().BeFalse();

    [Theory]
    [InlineData("t1", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("T1", false)]
    [InlineData("t1/../x", false)]
    public void Is_well_formed_accepts_short_local_ids_but_nothing_outside_the_alphabet(string id, bool expected) =>
        TenantId.IsWellFormed(id).Should().Be(expected);

    [FsCheck.Xunit.Property]
    public Property IsValid_AcceptsExactlyTheDocumentedAlphabetAndLength() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), s =>
        {
            var expected = s is not null && s.Length is >= 3 and <= 40 && s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
            return TenantId.IsValid(s) == expected;
        });
}
