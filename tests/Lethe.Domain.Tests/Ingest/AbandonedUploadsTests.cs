using Lethe.Domain.Ingest;
using Lethe.Domain.Records;
using Lethe.Domain.Tests.Erasure;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>Uploads whose object never arrived are given up an hour after their link expired, and their items leave that day.</summary>
public sealed class AbandonedUploadsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
    private readonly InMemoryUploads _uploads = new();
    private readonly InMemoryErasureInventory _inventory = new();
    private readonly InMemoryEvidence _audit = new();
    private readonly InMemoryIngestObjects _objects = new();

    private string Declare(UploadStatus status = UploadStatus.Pending)
    {
        var id = UploadIds.New();
        var now = _clock.GetUtcNow();
        _uploads.Items[id] = new Upload(id, "acme", "ref-anna", new UploadRequest(string.Empty, "transcript", "a.txt", "text/plain", 10), status, now, now + UploadRules.LinkLifetime, "svc");
        foreach (var itemId in new[] { UploadItems.ItemId(id), UploadItems.ObjectItemId(id) })
        {
            _inventory.Add(new InventoryItem(itemId, "upload", "transcript", ItemState.Active, new Dictionary<string, string>(), SubjectRef: "ref-anna"));
        }

        return id;
    }

    private AbandonedUploads Sweep() => new(_uploads, _objects, _inventory, _audit, _clock);

    [Fact]
    public async Task An_upload_whose_object_never_arrived_fails_and_its_items_are_due_for_purging_an_hour_after_its_link_expired()
    {
        var id = Declare();
        _clock.Advance(UploadRules.LinkLifetime + AbandonedUploads.Grace + TimeSpan.FromSeconds(1));

        var abandoned = await Sweep().SweepAsync("acme", Ct);

        abandoned.Should().Be(1);
        (_uploads.Items[id].Status, _uploads.Items[id].Reason).Should().Be((UploadStatus.Failed, AbandonedUploads.Reason));
        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.SoftDeleted && i.PurgeAt == _clock.GetUtcNow());
        _audit.Events.Values.Should().ContainSingle().Which.Action.Should().Be("upload.abandoned");
    }

    [Fact]
    public async Task An_upload_within_its_grace_or_already_on_its_way_is_left_alone()
    {
        var recent = Declare();
        var scanning = Declare(UploadStatus.Scanning);
        _clock.Advance(UploadRules.LinkLifetime + AbandonedUploads.Grace - TimeSpan.FromMinutes(1));

        (await Sweep().SweepAsync("acme", Ct)).Should().Be(0);
        _uploads.Items[recent].Status.Should().Be(UploadStatus.Pending);
        _uploads.Items[scanning].Status.Should().Be(UploadStatus.Scanning);
        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Active);
    }

    [Fact]
    public async Task An_upload_whose_object_is_in_the_bucket_is_left_for_the_receiver_however_late_its_event()
    {
        var id = Declare();
        _objects.Ingest[UploadRules.ObjectKey("acme", id)] = ("hello"u8.ToArray(), "text/plain", id);
        _clock.Advance(UploadRules.LinkLifetime + AbandonedUploads.Grace + TimeSpan.FromHours(5));

        (await Sweep().SweepAsync("acme", Ct)).Should().Be(0);
        _uploads.Items[id].Status.Should().Be(UploadStatus.Pending);
        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.Active);
    }
}
