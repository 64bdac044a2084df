using System.Text;
using Lethe.Domain.Ingest;
using Lethe.Domain.Jobs;
using Lethe.Domain.Notifications;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Lethe.Domain.Tests.Notifications;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Ingest;

/// <summary>Uploads in memory, with the store's conditional moves.</summary>
internal sealed class InMemoryUploads : IUploadStore
{
    public Dictionary<string, Upload> Items { get; } = new(StringComparer.Ordinal);

    public Task CreateAsync(Upload upload, CancellationToken cancellationToken)
    {
        Items[upload.Id] = upload;
        return Task.CompletedTask;
    }

    public Task<Upload?> FindAsync(string tenantId, string uploadId, CancellationToken cancellationToken) =>
        Task.FromResult(Items.TryGetValue(uploadId, out var upload) && upload.TenantId == tenantId ? upload : null);

    /// <summary>Runs before the next move (once): a test lets an erasure take the upload there.</summary>
    public Action? BeforeNextMove { get; set; }

    public Task<bool> TryMoveAsync(string tenantId, string uploadId, UploadMove move, CancellationToken cancellationToken)
    {
        var before = BeforeNextMove;
        BeforeNextMove = null;
        before?.Invoke();
        if (!Items.TryGetValue(uploadId, out var upload) || upload.TenantId != tenantId || !move.From.Contains(upload.Status))
        {
            return Task.FromResult(false);
        }

        Items[uploadId] = upload with
        {
            Status = move.To,
            UpdatedAt = move.At,
            Reason = move.Reason ?? upload.Reason,
            JobId = move.JobId ?? upload.JobId,
            ItemId = move.ItemId ?? upload.ItemId,
            ScannedETag = move.ScannedETag ?? upload.ScannedETag,
        };
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<Upload>> ListAbandonedAsync(string tenantId, DateTimeOffset expiredBefore, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Upload>>([.. Items.Values.Where(u => u.TenantId == tenantId && u.Status == UploadStatus.Pending && u.ExpiresAt < expiredBefore).Take(limit)]);
}

/// <summary>The ingest and quarantine buckets in memory.</summary>
internal sealed class InMemoryIngestObjects : IIngestObjects
{
    public Dictionary<string, (byte[] Content, string ContentType, string? UploadId)> Ingest { get; } = new(StringComparer.Ordinal);

    /// <summary>An object's ETag: its content's hash (a replaced object has another).</summary>
    public static string ETagOf(byte[] content) => $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))}\"";

    public Dictionary<string, byte[]> Quarantine { get; } = new(StringComparer.Ordinal);

    /// <summary>When each object was stored (S3's Last-Modified); an object without one is judged by the time it is looked at.</summary>
    public Dictionary<string, DateTimeOffset> LandedAt { get; } = new(StringComparer.Ordinal);

    public Task<LandedObject?> HeadAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(Ingest.TryGetValue(key, out var o)
            ? new LandedObject(key, o.Content.Length, o.ContentType, o.UploadId) { ETag = ETagOf(o.Content), LandedAt = LandedAt.TryGetValue(key, out var at) ? at : null }
            : null);

    public Task<Stream> OpenAsync(string key, string etag, CancellationToken cancellationToken) =>
        !Ingest.TryGetValue(key, out var o) ? throw new IngestObjectMissingException(key)
        : ETagOf(o.Content) != etag ? throw new IngestObjectChangedException(key)
        : Task.FromResult<Stream>(new MemoryStream(o.Content));

    public Task QuarantineAsync(string key, CancellationToken cancellationToken)
    {
        if (Ingest.Remove(key, out var o))
        {
            Quarantine[key] = o.Content;
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        Ingest.Remove(key);
        return Task.CompletedTask;
    }
}

/// <summary>Step 1 (DESIGN.md, ingest): a landed object is matched to its upload, scanned, quarantined or started once.</summary>
public sealed class IngestReceiverTests
{
    private const string Tenant = "acme";
    private static readonly byte[] Transcript = Encoding.UTF8.GetBytes("Coach: Hello.\nAnna: Hi.");
    private static readonly byte[] Eicar = Encoding.ASCII.GetBytes(@"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
    private readonly InMemoryUploads _uploads = new();
    private readonly InMemoryIngestObjects _objects = new();
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryEvidence _audit = new();
    private readonly RecordingNotifications _notices = new();

    private IngestReceiver Receiver() => new(new IngestReceiverPorts(
        _uploads, _objects, new StreamingUploadScanner(_objects, SignatureScanner.Default), _jobs, _workflows, new InMemoryTenants(), _audit, _notices, _clock));

    private string Declare(byte[] content, string contentType = "text/plain", long? size = null)
    {
        var id = UploadIds.New();
        var now = _clock.GetUtcNow();
        _uploads.Items[id] = new Upload(id, Tenant, "ref-anna", new UploadRequest(string.Empty, "transcript", "a.txt", contentType, size ?? content.Length),
            UploadStatus.Pending, now, now + UploadRules.LinkLifetime, "svc");
        return id;
    }

    private string Land(string uploadId, byte[] content, string contentType = "text/plain", string? metadataId = null)
    {
        var key = UploadRules.ObjectKey(Tenant, uploadId);
        _objects.Ingest[key] = (content, contentType, metadataId ?? uploadId);
        return key;
    }

    private IEnumerable<string> Actions => _audit.Events.Values.Select(e => e.Action);

    [Fact]
    public async Task A_clean_object_that_matches_its_upload_starts_one_ingest_job_and_the_upload_is_processing()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Started);
        var job = _jobs.Items.Values.Should().ContainSingle().Subject;
        (job.Type, job.ItemId, job.SubjectRef).Should().Be((JobType.Ingest, id, "ref-anna"));
        _workflows.Started.Should().Equal($"{job.Id}-1");
        (_uploads.Items[id].Status, _uploads.Items[id].JobId).Should().Be((UploadStatus.Processing, job.Id));
        Actions.Should().Contain(IngestReceiver.ScannedAction);
    }

    [Fact]
    public async Task The_same_event_again_does_nothing_again()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);
        await Receiver().ReceiveAsync(key, Ct);

        var again = await Receiver().ReceiveAsync(key, Ct);

        again.Should().Be(IngestOutcome.Duplicate);
        _jobs.Items.Should().ContainSingle();
        _workflows.Started.Should().ContainSingle();
    }

    [Fact]
    public async Task An_infected_object_is_moved_to_quarantine_with_a_notice_and_starts_nothing()
    {
        var id = Declare(Eicar);
        var key = Land(id, Eicar);

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Quarantined);
        (_objects.Ingest.ContainsKey(key), _objects.Quarantine.ContainsKey(key)).Should().Be((false, true));
        _uploads.Items[id].Status.Should().Be(UploadStatus.Quarantined);
        _uploads.Items[id].Reason.Should().Contain("EICAR-Test-File");
        _jobs.Items.Should().BeEmpty();
        _notices.Sent.Should().ContainSingle().Which.Should().Match<Notification>(n => n.Event == NotificationEvents.UploadQuarantined && n.RequestId == id);
        Actions.Should().Contain(IngestReceiver.QuarantinedAction);
    }

    [Fact]
    public async Task A_quarantine_that_stopped_before_the_object_moved_is_finished_by_the_next_delivery()
    {
        var id = Declare(Eicar);
        var key = Land(id, Eicar);
        _uploads.Items[id] = _uploads.Items[id] with { Status = UploadStatus.Quarantined };

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Duplicate);
        (_objects.Ingest.ContainsKey(key), _objects.Quarantine.ContainsKey(key)).Should().Be((false, true));
    }

    [Theory]
    [InlineData(5, "text/plain", null, "bytes, not the")]
    [InlineData(0, "text/csv", null, "text/csv, not the text/plain declared")]
    [InlineData(0, "text/plain", "upl_00000000000000000000000000000000", "does not carry its upload's id")]
    public async Task An_object_that_is_not_the_one_declared_is_deleted_the_upload_failed_and_the_rejection_audited(int extraBytes, string landedType, string? metadataId, string reason)
    {
        var id = Declare(Transcript, size: Transcript.Length + extraBytes);
        var key = Land(id, Transcript, landedType, metadataId);

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Rejected);
        _objects.Ingest.Should().NotContainKey(key);
        (_uploads.Items[id].Status, _uploads.Items[id].Reason).Should().Match<(UploadStatus, string?)>(u => u.Item1 == UploadStatus.Failed && u.Item2!.Contains(reason));
        _jobs.Items.Should().BeEmpty();
        Actions.Should().Contain(IngestReceiver.RejectedAction);
    }

    [Fact]
    public async Task An_object_that_arrives_after_its_link_expired_is_rejected()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);
        _clock.Advance(UploadRules.LinkLifetime * 2 + TimeSpan.FromSeconds(1));

        (await Receiver().ReceiveAsync(key, Ct)).Should().Be(IngestOutcome.Rejected);
        _uploads.Items[id].Reason.Should().Contain("expired");
    }

    [Fact]
    public async Task An_object_stored_in_time_is_taken_however_long_its_event_waited_in_the_queue()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);
        _objects.LandedAt[key] = _clock.GetUtcNow() + UploadRules.LinkLifetime - TimeSpan.FromSeconds(5);
        _clock.Advance(TimeSpan.FromHours(3));

        (await Receiver().ReceiveAsync(key, Ct)).Should().Be(IngestOutcome.Started);
        _uploads.Items[id].Status.Should().Be(UploadStatus.Processing);
    }

    [Fact]
    public async Task An_object_stored_after_its_link_expired_is_rejected_even_when_its_event_comes_at_once()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);
        _objects.LandedAt[key] = _clock.GetUtcNow() + UploadRules.LinkLifetime + UploadRules.ClockSkew + TimeSpan.FromSeconds(1);
        _clock.Advance(UploadRules.LinkLifetime + UploadRules.ClockSkew + TimeSpan.FromSeconds(2));

        (await Receiver().ReceiveAsync(key, Ct)).Should().Be(IngestOutcome.Rejected);
        _uploads.Items[id].Reason.Should().Contain("expired");
    }

    [Fact]
    public async Task An_object_without_a_pending_upload_is_deleted_and_audited()
    {
        var key = Land(UploadIds.New(), Transcript);

        (await Receiver().ReceiveAsync(key, Ct)).Should().Be(IngestOutcome.Rejected);
        _objects.Ingest.Should().BeEmpty();
        Actions.Should().Equal(IngestReceiver.RejectedAction);
    }

    [Fact]
    public async Task An_object_under_a_key_Lethe_never_presigns_is_deleted_without_an_audit_to_nobody()
    {
        _objects.Ingest["loose-file.txt"] = (Transcript, "text/plain", null);

        (await Receiver().ReceiveAsync("loose-file.txt", Ct)).Should().Be(IngestOutcome.Rejected);
        _objects.Ingest.Should().BeEmpty();
        _audit.Events.Should().BeEmpty();
    }

    [Fact]
    public async Task An_event_whose_object_is_not_there_fails_and_giving_up_fails_the_upload_with_the_reason()
    {
        var id = Declare(Transcript);
        var key = UploadRules.ObjectKey(Tenant, id);

        var receiving = () => Receiver().ReceiveAsync(key, Ct);
        await receiving.Should().ThrowAsync<IngestObjectMissingException>();
        await Receiver().GiveUpAsync(key, "Ingest gave up after 5 attempts (Lethe.IngestObjectMissing).", Ct);

        (_uploads.Items[id].Status, _uploads.Items[id].Reason).Should().Be((UploadStatus.Failed, "Ingest gave up after 5 attempts (Lethe.IngestObjectMissing)."));
        Actions.Should().Contain(IngestReceiver.FailedAction);
    }

    [Fact]
    public async Task A_redriven_event_takes_up_an_upload_the_queue_gave_up_on()
    {
        var id = Declare(Transcript);
        var key = UploadRules.ObjectKey(Tenant, id);
        await Receiver().GiveUpAsync(key, $"{IngestReceiver.GaveUpPrefix} 5 attempts (Lethe.IngestObjectMissing).", Ct);
        Land(id, Transcript);

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Started);
        _uploads.Items[id].Status.Should().Be(UploadStatus.Processing);
    }

    [Fact]
    public async Task A_rejected_upload_is_not_taken_up_again_and_a_second_object_for_it_is_not_kept()
    {
        var id = Declare(Transcript, size: Transcript.Length + 1);
        var key = Land(id, Transcript);
        await Receiver().ReceiveAsync(key, Ct);
        Land(id, Transcript);

        (await Receiver().ReceiveAsync(key, Ct)).Should().Be(IngestOutcome.Duplicate);
        _jobs.Items.Should().BeEmpty();
        _objects.Ingest.Should().BeEmpty();
    }

    [Fact]
    public async Task A_clean_upload_names_the_scanned_object_so_that_only_it_is_read_later()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);

        await Receiver().ReceiveAsync(key, Ct);
        _objects.Ingest[key] = (Eicar, "text/plain", id);
        var reading = () => _objects.OpenAsync(key, _uploads.Items[id].ScannedETag!, Ct);

        _uploads.Items[id].ScannedETag.Should().Be(InMemoryIngestObjects.ETagOf(Transcript));
        await reading.Should().ThrowAsync<IngestObjectChangedException>();
    }

    [Fact]
    public async Task An_infected_object_of_an_upload_an_erasure_took_during_the_scan_is_deleted_not_quarantined()
    {
        var id = Declare(Eicar);
        var key = Land(id, Eicar);
        // The move to scanning happens first; the erasure takes the upload before the move to quarantined.
        _uploads.BeforeNextMove = () => _uploads.BeforeNextMove = () => _uploads.Items.Remove(id);

        var outcome = await Receiver().ReceiveAsync(key, Ct);

        outcome.Should().Be(IngestOutcome.Rejected);
        (_objects.Ingest.ContainsKey(key), _objects.Quarantine.ContainsKey(key)).Should().Be((false, false));
        _notices.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task A_clean_object_of_an_upload_an_erasure_took_during_the_scan_starts_nothing()
    {
        var id = Declare(Transcript);
        var key = Land(id, Transcript);
        _uploads.BeforeNextMove = () => _uploads.BeforeNextMove = () => _uploads.Items.Remove(id);

        await Receiver().ReceiveAsync(key, Ct);

        _workflows.Started.Should().BeEmpty();
    }
}
