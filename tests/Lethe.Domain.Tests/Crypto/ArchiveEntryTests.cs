using System.Security.Cryptography;
using System.Text;
using Lethe.Domain.Crypto;

namespace Lethe.Domain.Tests.Crypto;

public sealed class ArchiveEntryTests
{
    private static readonly byte[] Record = Encoding.UTF8.GetBytes("{\"id\":\"rec_1\",\"fields\":{\"text\":\"hello\"}}");

    [Fact]
    public void An_entry_opens_with_its_own_key_for_its_own_item()
    {
        var key = ArchiveEntry.NewKey();

        var sealedEntry = ArchiveEntry.Seal(Record, key, "t1", "ref", "rec_1");

        Encoding.UTF8.GetString(sealedEntry).Should().NotContain("hello");
        ArchiveEntry.Open(sealedEntry, key, "t1", "ref", "rec_1").Should().Equal(Record);
    }

    [Fact]
    public void An_entry_does_not_open_without_its_key_once_the_key_is_gone()
    {
        var sealedEntry = ArchiveEntry.Seal(Record, ArchiveEntry.NewKey(), "t1", "ref", "rec_1");

        var open = () => ArchiveEntry.Open(sealedEntry, ArchiveEntry.NewKey(), "t1", "ref", "rec_1");

        open.Should().Throw<CryptographicException>();
    }

    [Theory]
    [InlineData("t2", "ref", "rec_1")]
    [InlineData("t1", "other", "rec_1")]
    [InlineData("t1", "ref", "rec_2")]
    public void An_entry_moved_to_another_tenant_subject_or_item_does_not_open(string tenantId, string subjectRef, string itemId)
    {
        var key = ArchiveEntry.NewKey();
        var sealedEntry = ArchiveEntry.Seal(Record, key, "t1", "ref", "rec_1");

        var open = () => ArchiveEntry.Open(sealedEntry, key, tenantId, subjectRef, itemId);

        open.Should().Throw<CryptographicException>();
    }
}
