using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.BackupScrub;

/// <summary>Tombstones by the job that purged them.</summary>
internal sealed class InMemoryTombstones : IDeletionTombstones
{
    public Dictionary<string, List<InventoryItem>> ByJob { get; } = new(StringComparer.Ordinal);

    public Task<(IReadOnlyList<InventoryItem> Items, string? NextCursor)> PurgedByAsync(string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken)
    {
        var all = ByJob.GetValueOrDefault(jobId) ?? [];
        var from = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var page = all.Skip(from).Take(limit).ToList();
        var next = from + page.Count < all.Count ? (from + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return Task.FromResult<(IReadOnlyList<InventoryItem>, string?)>((page, next));
    }
}

/// <summary>Objects left of purged keys: versions per key, in the buckets and the replica; keys that S3 refuses.</summary>
internal sealed class InMemoryObjectScrubber : IObjectScrubber
{
    public Dictionary<string, int> Versions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> ReplicaCopies { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Refused { get; } = new(StringComparer.Ordinal);

    public bool HasReplica => true;

    public Task<ObjectScrubOutcome> ScrubAsync(string tenantId, IReadOnlyList<InventoryItem> purged, CancellationToken cancellationToken)
    {
        long versions = 0, replica = 0, keys = 0;
        var failed = new List<(string, string)>();
        foreach (var item in purged.Where(i => i.Store == "s3"))
        {
            if (Refused.Contains(item.ItemId))
            {
                failed.Add((item.ItemId, "AccessDenied"));
                continue;
            }

            keys++;
            versions += Versions.Remove(item.ItemId, out var v) ? v : 0;
            replica += ReplicaCopies.Remove(item.ItemId, out var r) ? r : 0;
        }

        return Task.FromResult(new ObjectScrubOutcome(keys, versions, replica, failed));
    }
}

internal sealed class InMemoryBackups : IBackupInspector
{
    public List<TableBackupWindow> Tables { get; } = [new("Records", true, 30), new("Inventory", true, 30), new("Keys", false, 0)];

    public List<(string Arn, DateTimeOffset CreatedAt)> OnDemand { get; } = [];

    public Task<BackupReport> InspectAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken) =>
        Task.FromResult(new BackupReport(Tables.ToList(), OnDemand.Where(b => b.CreatedAt < createdBefore).Select(b => b.Arn).ToList()));
}

/// <summary>The backup scrub's steps (workflows/backup-scrub.asl.json) over in-memory ports, driven as the ASL drives them.</summary>
public sealed class BackupScrubStepsTests
{
    private const string Tenant = "t1";
    private const string SourceId = "job_0192a0b1c2d3aaaaaaaaaaaaaaaa";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly InMemoryTenants _tenants = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryTombstones _tombstones = new();
    private readonly InMemoryObjectScrubber _objects = new();
    private readonly InMemoryBackups _backups = new();
    private readonly BackupScrubSteps _steps;

    public BackupScrubStepsTests()
    {
        _tenants.Items[Tenant] = new Tenant(Tenant, "Acme", TenantState.Active, _clock.GetUtcNow().AddYears(-1), 1);
        _steps = new BackupScrubSteps(
            new BackupScrubPorts(_jobs, _tombstones, _objects, _backups, _evidence, _evidence, _evidence, _evidence, _tenants, _clock), _workflows);
    }

    private static InventoryItem Tombstone(string id, string store) => new(
        id, store == "s3" ? "file" : "record", "transcript", ItemState.Purged,
        store == "s3" ? new Dictionary<string, string> { ["store"] = "s3", ["bucket"] = "Data", ["key"] = $"t1/ref-anna/{id}/f.bin" }
                      : new Dictionary<string, string> { ["store"] = "dynamodb", ["table"] = "Records", ["key"] = $"RECORD#{id}" },
        SubjectRef: "ref-anna", PurgedBy: SourceId);

    /// <summary>A completed, certified erasure of three items (two records and a file) and its scrub job, started.</summary>
    private async Task<Job> ErasedAndScrubStartedAsync(bool certified = true)
    {
        var now = _clock.GetUtcNow();
        var source = new Job
        {
            Id = SourceId, TenantId = Tenant, Type = JobType.Deletion, SubjectRef = "ref-anna", Status = JobStatus.Completed, Phase = JobPhases.Done,
            CreatedAt = now.AddDays(-31), UpdatedAt = now, RequestedBy = "admin", Counts = ErasureCounts.None with { Purged = 3 },
        };
        await _jobs.CreateAsync(source, null, Ct);
        if (certified)
        {
            var payload = "{\"certificateId\":\"cert_x\",\"type\":\"deletion\"}"u8.ToArray();
            await _evidence.PutOnceAsync(new SignedCertificate($"cert_{SourceId}", SourceId, Tenant, "deletion", payload, SHA256.HashData(payload), _evidence.KeyId), Ct);
        }

        _tombstones.ByJob[SourceId] = [Tombstone("rec-1", "dynamodb"), Tombstone("rec-2", "dynamodb"), Tombstone("file-1", "s3")];
        _objects.Versions["file-1"] = 1;
        _objects.ReplicaCopies["file-1"] = 2;
        return await new BackupScrubRequests(_jobs, _workflows, _tenants, _clock).StartAsync(source, Ct);
    }

    /// <summary>Moves the clock to a Wait state's timestamp, as the state machine would wait.</summary>
    private void WaitFor(string? timestamp)
    {
        var until = Timestamps.Parse(timestamp!);
        if (until > _clock.GetUtcNow())
        {
            _clock.SetUtcNow(until);
        }
    }

    /// <summary>Runs the ASL: Begin, the index wait, the page loop, the backup window's wait (plus <paramref name="late"/>), Certify.</summary>
    private async Task<BackupScrubState> RunAsync(Job scrub, int pageSize = 2, TimeSpan late = default)
    {
        var state = await _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, scrub.Execution) { PageSize = pageSize }, Ct);
        if (!state.Scrubbed)
        {
            WaitFor(state.ScrubAt);
            do
            {
                state = await _steps.ScrubPage.RunAsync(state, Ct);
            }
            while (state.More);
        }

        WaitFor(state.WaitUntil);
        _clock.Advance(late);
        return await _steps.Certify.RunAsync(state, Ct);
    }

    private Job JobOf(string id) => _jobs.Items[id];

    [Fact]
    public async Task A_scrub_waits_thirty_days_scrubs_every_purged_key_and_certifies_naming_the_original()
    {
        var scrub = await ErasedAndScrubStartedAsync();

        await RunAsync(scrub);

        var done = JobOf(scrub.Id);
        done.Status.Should().Be(JobStatus.Completed);
        done.CompletedAt.Should().Be(scrub.CreatedAt.AddDays(30), "the PITR window from before the deletion is waited out, no longer");
        _objects.Versions.Should().BeEmpty("the copies went a minute after the deletion, long before the window ended");
        var certificate = _evidence.Certificates[(SourceId, BackupScrubCertificate.Type)];
        done.CertificateId.Should().Be(certificate.CertificateId);
        using var payload = JsonDocument.Parse(certificate.Payload);
        var root = payload.RootElement;
        root.GetProperty("type").GetString().Should().Be("backup-scrub");
        root.GetProperty("requestId").GetString().Should().Be(SourceId);
        root.GetProperty("supplements").GetProperty("certificateId").GetString().Should().Be($"cert_{SourceId}");
        root.GetProperty("supplements").GetProperty("payloadSha256").GetString().Should()
            .Be(Convert.ToHexStringLower(SHA256.HashData(_evidence.Certificates[(SourceId, "deletion")].Payload)));
        root.GetProperty("counts").GetProperty("tombstonesRead").GetInt64().Should().Be(3);
        root.GetProperty("counts").GetProperty("objectKeysScrubbed").GetInt64().Should().Be(1, "the two records have no versions to scrub");
        Timestamps.Parse(root.GetProperty("scrubbedAt").GetString()!).Should().Be(scrub.CreatedAt.AddMinutes(1));
        root.GetProperty("counts").GetProperty("objectVersionsDeleted").GetInt64().Should().Be(1);
        root.GetProperty("counts").GetProperty("replicaVersionsDeleted").GetInt64().Should().Be(2);
        root.GetProperty("backups").GetProperty("pointInTimeRecoveryDaysMax").GetInt32().Should().Be(30);
        root.GetProperty("deadlineMet").GetString().Should().Be("yes");
        root.GetProperty("subjectRef").GetString().Should().Be("ref-anna");
        _objects.Versions.Should().BeEmpty();
        _objects.ReplicaCopies.Should().BeEmpty();
    }

    [Fact]
    public async Task A_scrub_of_a_tenant_on_a_fast_time_scale_waits_the_scaled_thirty_days()
    {
        _tenants.Items[Tenant] = _tenants.Items[Tenant] with { TimeScale = 86_400 };
        var scrub = await ErasedAndScrubStartedAsync();

        var state = await _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1), Ct);

        Timestamps.Parse(state.WaitUntil!).Should().Be(scrub.CreatedAt.AddSeconds(30));
        Timestamps.Parse(state.ScrubAt!).Should().BeCloseTo(scrub.CreatedAt.AddMilliseconds(60_000.0 / 86_400), TimeSpan.FromMilliseconds(1));
        JobOf(scrub.Id).Phase.Should().Be(JobPhases.Scrub);
    }

    [Fact]
    public async Task Begin_when_a_table_keeps_point_in_time_backups_longer_than_thirty_days_fails_naming_it()
    {
        _backups.Tables.Add(new TableBackupWindow("Audit", true, 35));
        var scrub = await ErasedAndScrubStartedAsync();

        var failing = () => _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1), Ct);

        (await failing.Should().ThrowAsync<BackupWindowTooLongException>()).Which.Message.Should().Contain("Audit for 35 days");
        JobOf(scrub.Id).Phase.Should().Be(JobPhases.Validate);
    }

    [Fact]
    public async Task Begin_when_the_source_has_no_certificate_refuses_to_scrub()
    {
        var scrub = await ErasedAndScrubStartedAsync(certified: false);

        var failing = () => _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1), Ct);

        await failing.Should().ThrowAsync<ScrubSourceException>();
    }

    [Fact]
    public async Task Certify_when_an_on_demand_backup_from_before_the_deletion_is_left_fails_naming_it_and_issues_nothing()
    {
        var scrub = await ErasedAndScrubStartedAsync();
        _backups.OnDemand.Add(("arn:aws:dynamodb:eu-west-1:1:table/Records/backup/0001", scrub.CreatedAt.AddDays(-2)));
        _backups.OnDemand.Add(("arn:aws:dynamodb:eu-west-1:1:table/Records/backup/0002", scrub.CreatedAt.AddDays(1)));

        var failing = () => RunAsync(scrub);

        var thrown = await failing.Should().ThrowAsync<BackupOutlivesDeletionException>();
        thrown.Which.Message.Should().Contain("backup/0001").And.NotContain("backup/0002", "a backup taken after the deletion holds nothing it deleted");
        _evidence.Certificates.Should().NotContainKey((SourceId, BackupScrubCertificate.Type));
    }

    [Fact]
    public async Task A_certificate_whose_final_check_ran_more_than_a_day_after_the_window_says_the_deadline_was_missed()
    {
        var scrub = await ErasedAndScrubStartedAsync();

        await RunAsync(scrub, late: TimeSpan.FromDays(2));

        using var payload = JsonDocument.Parse(_evidence.Certificates[(SourceId, BackupScrubCertificate.Type)].Payload);
        payload.RootElement.GetProperty("deadlineMet").GetString().Should().Be("no");
    }

    [Theory]
    [InlineData(3, "yes")]
    [InlineData(45, "yes")]
    [InlineData(90, "no")]
    public async Task On_a_fast_time_scale_a_final_check_a_few_seconds_after_the_window_still_counts_as_right_after_it(int lateSeconds, string deadlineMet)
    {
        // A scaled day is a second here: a Wait's whole-second wake-up and a step's start on a busy machine take longer than that.
        _tenants.Items[Tenant] = _tenants.Items[Tenant] with { TimeScale = 86_400 };
        var scrub = await ErasedAndScrubStartedAsync();

        await RunAsync(scrub, late: TimeSpan.FromSeconds(lateSeconds));

        using var payload = JsonDocument.Parse(_evidence.Certificates[(SourceId, BackupScrubCertificate.Type)].Payload);
        payload.RootElement.GetProperty("deadlineMet").GetString().Should().Be(deadlineMet);
    }

    [Fact]
    public async Task On_a_scaled_tenant_a_window_ending_inside_a_millisecond_still_meets_the_deadline_stored_to_the_millisecond()
    {
        // Thirty scaled days end at a fraction of a millisecond here; the store keeps times to the millisecond.
        _tenants.Items[Tenant] = _tenants.Items[Tenant] with { TimeScale = 29 * 86_400 / 8 };
        _clock.SetUtcNow(_clock.GetUtcNow().AddTicks(9_999));
        var scrub = await ErasedAndScrubStartedAsync();
        static DateTimeOffset Stored(DateTimeOffset at) => Timestamps.Parse(Timestamps.Format(at));
        _jobs.Items[scrub.Id] = _jobs.Items[scrub.Id] with { CreatedAt = Stored(scrub.CreatedAt), Deadline = Stored(scrub.Deadline!.Value) };

        await RunAsync(_jobs.Items[scrub.Id]);

        using var payload = JsonDocument.Parse(_evidence.Certificates[(SourceId, BackupScrubCertificate.Type)].Payload);
        payload.RootElement.GetProperty("deadlineMet").GetString().Should().Be("yes", payload.RootElement.ToString());
    }

    [Fact]
    public async Task A_restart_in_scrub_pages_from_the_first_tombstone_again_without_counting_twice()
    {
        var scrub = await ErasedAndScrubStartedAsync();
        var state = await _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1) { PageSize = 2 }, Ct);
        WaitFor(state.ScrubAt);
        await _steps.ScrubPage.RunAsync(state, Ct);
        await _jobs.AdvanceExecutionAsync(Tenant, scrub.Id, 1, [JobPhases.Scrub], Ct);

        await RunAsync(JobOf(scrub.Id));

        JobOf(scrub.Id).Counts.Total.Should().Be(3, "the restart cleared the first execution's page");
        JobOf(scrub.Id).Status.Should().Be(JobStatus.Completed);
    }

    [Fact]
    public async Task A_scrub_without_point_in_time_recovery_still_waits_a_day_before_it_reads_the_tombstones()
    {
        _backups.Tables.Clear();
        _backups.Tables.Add(new TableBackupWindow("Records", false, 0));
        var scrub = await ErasedAndScrubStartedAsync();

        var state = await _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1), Ct);

        Timestamps.Parse(state.WaitUntil!).Should().Be(scrub.CreatedAt.AddDays(1));
    }

    [Fact]
    public async Task A_key_S3_refuses_to_delete_is_listed_on_the_job_and_keeps_the_certificate_back()
    {
        var scrub = await ErasedAndScrubStartedAsync();
        _objects.Refused.Add("file-1");

        var failing = () => RunAsync(scrub);

        await failing.Should().ThrowAsync<ScrubSourceException>();
        var job = JobOf(scrub.Id);
        job.Counts.Failed.Should().Be(1);
        job.Errors.Should().ContainSingle(e => e.ItemId == "file-1" && e.Message.Contains("AccessDenied", StringComparison.Ordinal));
        _evidence.Certificates.Should().NotContainKey((SourceId, BackupScrubCertificate.Type));
    }

    [Fact]
    public async Task Replayed_pages_count_once_and_a_replayed_certify_names_the_same_certificate()
    {
        var scrub = await ErasedAndScrubStartedAsync();
        var state = await _steps.Begin.RunAsync(new BackupScrubState(Tenant, scrub.Id, 1) { PageSize = 2 }, Ct);
        WaitFor(state.ScrubAt);
        var first = await _steps.ScrubPage.RunAsync(state, Ct);
        await _steps.ScrubPage.RunAsync(state, Ct);
        var last = await _steps.ScrubPage.RunAsync(first, Ct);
        await _steps.ScrubPage.RunAsync(first, Ct);
        WaitFor(last.WaitUntil);
        await _steps.Certify.RunAsync(last, Ct);
        var issued = _evidence.Certificates[(SourceId, BackupScrubCertificate.Type)];

        await _steps.Certify.RunAsync(last, Ct);

        JobOf(scrub.Id).Counts.Total.Should().Be(3);
        JobOf(scrub.Id).Counts.Purged.Should().Be(1);
        _evidence.Certificates[(SourceId, BackupScrubCertificate.Type)].Should().BeSameAs(issued);
    }

    [Fact]
    public async Task A_failed_scrub_retried_runs_from_its_start_and_certifies_once_the_backup_is_gone()
    {
        var scrub = await ErasedAndScrubStartedAsync();
        _backups.OnDemand.Add(("arn:backup/0001", scrub.CreatedAt.AddDays(-2)));
        await FluentActions.Awaiting(() => RunAsync(scrub)).Should().ThrowAsync<BackupOutlivesDeletionException>();
        await _steps.RecordFailure.RunAsync(new Lethe.Domain.Jobs.Workflow.FailedStep(Tenant, scrub.Id, 1, "Lethe.BackupOutlivesDeletion", "{}"), Ct);
        _backups.OnDemand.Clear();
        var requests = new RequestService(_jobs, _workflows, new InMemoryHolds(), new InMemoryErasureInventory(), _clock, new Lethe.Domain.Tests.Notifications.RecordingNotifications());

        var (change, retried) = await requests.RetryAsync(Tenant, scrub.Id, Ct);

        change.Should().Be(JobChange.Done);
        retried!.Execution.Should().Be(2);
        await RunAsync(retried);
        JobOf(scrub.Id).Status.Should().Be(JobStatus.Completed);
        JobOf(scrub.Id).Counts.Total.Should().Be(3, "the retry counts afresh");
        using var payload = JsonDocument.Parse(_evidence.Certificates[(SourceId, BackupScrubCertificate.Type)].Payload);
        payload.RootElement.GetProperty("deadlineMet").GetString().Should().Be("no", "the backup outlived the deadline until it was removed by hand");
    }
}
