using System.Text;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Replay;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Tests.Erasure;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.BackupScrub;

/// <summary>A restored store: which purged items' data is back (and with how many object versions), and which KEKs.</summary>
internal sealed class RestoredStore : IReplayPurger, IKekReshredder
{
    public Dictionary<string, int> Back { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Keks { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Refused { get; } = new(StringComparer.Ordinal);

    public Task<ReplayOutcome> RemoveAgainAsync(string tenantId, string sourceJobId, IReadOnlyList<InventoryItem> tombstones, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        var failed = new List<(string, string)>();
        var byStore = new Dictionary<string, long>(StringComparer.Ordinal);
        long versions = 0;
        foreach (var item in tombstones.Where(t => Back.ContainsKey(t.ItemId)))
        {
            if (Refused.Contains(item.ItemId))
            {
                failed.Add((item.ItemId, "AccessDenied"));
                continue;
            }

            versions += item.Store == "s3" ? Back[item.ItemId] : 0;
            Back.Remove(item.ItemId);
            removed.Add(item.ItemId);
            byStore[item.Store] = byStore.GetValueOrDefault(item.Store) + 1;
        }

        return Task.FromResult(new ReplayOutcome(removed, byStore, versions, failed));
    }

    public Task<bool> ReshredAsync(string tenantId, string subjectRef, string kekId, CancellationToken cancellationToken) =>
        Task.FromResult(Keks.TryGetValue(subjectRef, out var stored) && stored == kekId && Keks.Remove(subjectRef));
}

/// <summary>The erasure replay's steps (workflows/erasure-replay.asl.json) over in-memory ports, driven as the ASL drives them.</summary>
public sealed class ErasureReplayStepsTests
{
    private const string Tenant = "t1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly InMemoryWorkflows _workflows = new();
    private readonly InMemoryTombstones _tombstones = new();
    private readonly RestoredStore _store = new();
    private readonly ErasureReplaySteps _steps;

    public ErasureReplayStepsTests()
    {
        _steps = new ErasureReplaySteps(new ErasureReplayPorts(_jobs, _tombstones, _store, _store, _evidence, _evidence, _clock), _workflows);
    }

    private async Task<Job> CompletedAsync(string id, JobType type, string subjectRef, params InventoryItem[] tombstones) =>
        await CompletedAsync(id, type, subjectRef, tombstones.Length, tombstones);

    private async Task<Job> CompletedAsync(string id, JobType type, string subjectRef, long certifiedPurged, params InventoryItem[] tombstones)
    {
        _clock.Advance(TimeSpan.FromMinutes(1));
        var job = new Job
        {
            Id = id, TenantId = Tenant, Type = type, SubjectRef = subjectRef, Status = JobStatus.Completed, Phase = JobPhases.Done,
            CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(), RequestedBy = "admin",
            Counts = ErasureCounts.None with { Purged = certifiedPurged },
        };
        await _jobs.CreateAsync(job, null, Ct);
        _jobs.Items[id] = job;
        _tombstones.ByJob[id] = [.. tombstones];
        return job;
    }

    private async Task CertifiedAsync(string jobId, string shredMethod, string kekId)
    {
        var payload = Encoding.UTF8.GetBytes($"{{\"type\":\"deletion\",\"methods\":{{\"cryptoShred\":\"{shredMethod}\",\"shreddedKekId\":\"{kekId}\"}}}}");
        await _evidence.PutOnceAsync(new SignedCertificate($"cert_{jobId}", jobId, Tenant, "deletion", payload, payload, _evidence.KeyId), Ct);
    }

    private static InventoryItem Tombstone(string id, string subjectRef, string store = "dynamodb", ItemState state = ItemState.Purged) => new(
        id, store == "s3" ? "file" : "record", "note", state,
        store == "s3" ? new Dictionary<string, string> { ["store"] = "s3", ["bucket"] = "Data", ["key"] = $"t1/{subjectRef}/{id}" }
                      : new Dictionary<string, string> { ["store"] = "dynamodb", ["table"] = "Records", ["key"] = $"RECORD#{id}" },
        SubjectRef: subjectRef);

    private async Task<Job> ReplayAsync(int pageSize = 2, int pagesPerExecution = 1000)
    {
        var outcome = await new ErasureReplayRequests(_jobs, _workflows, _clock).SubmitAsync(
            new Tenant(Tenant, "Acme", TenantState.Active, _clock.GetUtcNow(), 1), "platform", "platform-admin", Ct);
        var job = outcome.Should().BeOfType<Accepted>().Subject.Job;
        var state = new ErasureReplayState(Tenant, job.Id, 1) { PageSize = pageSize, PagesPerExecution = pagesPerExecution };
        do
        {
            state = await _steps.ReplayPage.RunAsync(state, Ct);
            if (state.HandOver)
            {
                await _steps.HandOver.RunAsync(state, Ct);
                var next = _jobs.Items[job.Id];
                state = ErasureReplayState.From(_workflows.Inputs[^1]) with { PagesPerExecution = pagesPerExecution };
                state.Execution.Should().Be(next.Execution);
                state = state with { More = true };
            }
        }
        while (state.More);

        await _steps.Complete.RunAsync(state, Ct);
        return _jobs.Items[job.Id];
    }

    [Fact]
    public async Task A_replay_removes_again_what_a_restore_brought_back_of_every_completed_erasure_and_retention_run_and_nothing_else()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", Tombstone("a1", "ref-anna"), Tombstone("a2", "ref-anna"), Tombstone("a3", "ref-anna", "s3"));
        await CertifiedAsync("job-e1", "kek-deleted", "kek-anna-1");
        await CompletedAsync("job-r1", JobType.RetentionSweep, RequestService.TenantWideSubject, Tombstone("c1", "ref-carl"));
        await CompletedAsync("job-x1", JobType.Export, "ref-bruno");
        _store.Back["a1"] = 1;
        _store.Back["a3"] = 2;
        _store.Back["c1"] = 1;
        _store.Back["b1"] = 1;
        _store.Keks["ref-anna"] = "kek-anna-1";
        _store.Keks["ref-bruno"] = "kek-bruno-1";

        var job = await ReplayAsync();

        job.Status.Should().Be(JobStatus.Completed);
        _store.Back.Keys.Should().BeEquivalentTo(["b1"], "bruno was never erased");
        _store.Keks.Keys.Should().BeEquivalentTo(["ref-bruno"]);
        job.Counts.Total.Should().Be(4, "every tombstone was read");
        job.Counts.Purged.Should().Be(3);
        job.Counts.VersionsDeleted.Should().Be(2);
        job.Counts.PurgedByStore.Should().BeEquivalentTo(new Dictionary<string, long> { ["dynamodb"] = 2, ["s3"] = 1, [ErasureReplayWorkflow.Keys] = 1 });
        _evidence.Events.Values.Where(e => e.Action == "erasure-replay.page").SelectMany(e => e.Details.GetProperty("removedAgain").EnumerateArray().Select(n => n.GetString()!))
            .Should().BeEquivalentTo(["a1", "a3", "c1"], "the report names what it removed again");
    }

    [Fact]
    public async Task A_replay_leaves_a_key_taken_over_by_newer_data_and_a_kek_the_subject_got_after_its_erasure()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", Tombstone("consent-anna", "ref-anna", state: ItemState.Active));
        await CertifiedAsync("job-e1", "kek-deleted", "kek-anna-1");
        _store.Back["consent-anna"] = 1;
        _store.Keks["ref-anna"] = "kek-anna-2";

        var job = await ReplayAsync();

        _store.Back.Should().ContainKey("consent-anna", "a consent granted again after the erasure is live data under the same key");
        _store.Keks["ref-anna"].Should().Be("kek-anna-2");
        job.Counts.Purged.Should().Be(0);
    }

    [Fact]
    public async Task A_replay_keeps_the_kek_of_an_erasure_that_kept_or_replaced_it_for_survivors()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna");
        await CertifiedAsync("job-e1", "kek-replaced", "kek-anna-1");
        await CompletedAsync("job-e2", JobType.Deletion, "ref-dora");
        await CertifiedAsync("job-e2", "kek-kept", "none");
        _store.Keks["ref-anna"] = "kek-anna-1";
        _store.Keks["ref-dora"] = "kek-dora-1";

        await ReplayAsync();

        _store.Keks.Keys.Should().BeEquivalentTo(["ref-anna", "ref-dora"]);
    }

    [Fact]
    public async Task A_long_replay_hands_over_and_still_reads_every_tombstone_once()
    {
        var tombstones = Enumerable.Range(1, 7).Select(i => Tombstone($"a{i}", "ref-anna")).ToArray();
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", tombstones);
        await CompletedAsync("job-e2", JobType.Deletion, "ref-bea", Tombstone("b1", "ref-bea"));
        foreach (var t in tombstones)
        {
            _store.Back[t.ItemId] = 1;
        }

        var job = await ReplayAsync(pageSize: 2, pagesPerExecution: 2);

        job.Execution.Should().BeGreaterThan(1);
        job.Counts.Total.Should().Be(8);
        job.Counts.Purged.Should().Be(7);
        _store.Back.Should().BeEmpty();
    }

    [Fact]
    public async Task A_replay_that_cannot_remove_an_item_again_lists_it_and_fails_instead_of_completing()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", Tombstone("a1", "ref-anna", "s3"));
        _store.Back["a1"] = 1;
        _store.Refused.Add("a1");

        var failing = () => ReplayAsync();

        await failing.Should().ThrowAsync<ReplayIncompleteException>();
        var job = _jobs.Items.Values.Single(j => j.Type == JobType.ErasureReplay);
        job.Errors.Should().ContainSingle(e => e.ItemId == "a1");
    }

    [Fact]
    public async Task A_job_that_certified_more_purges_than_its_tombstones_name_is_listed_for_review_and_the_replay_still_completes()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", certifiedPurged: 3, Tombstone("a1", "ref-anna"));

        var job = await ReplayAsync();

        job.Status.Should().Be(JobStatus.Completed);
        job.Counts.Failed.Should().Be(0);
        job.Errors.Should().ContainSingle(e => e.ItemId == "job-e1" && e.Message.Contains("certified 3 purged item(s), but 1 tombstone(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restarted_replay_walks_from_the_first_job_again_without_counting_twice()
    {
        await CompletedAsync("job-e1", JobType.Deletion, "ref-anna", Tombstone("a1", "ref-anna"), Tombstone("a2", "ref-anna"), Tombstone("a3", "ref-anna"));
        var outcome = await new ErasureReplayRequests(_jobs, _workflows, _clock).SubmitAsync(
            new Tenant(Tenant, "Acme", TenantState.Active, _clock.GetUtcNow(), 1), "platform", "platform-admin", Ct);
        var replay = ((Accepted)outcome).Job;
        await _steps.ReplayPage.RunAsync(new ErasureReplayState(Tenant, replay.Id, 1) { PageSize = 2 }, Ct);
        await _jobs.AdvanceExecutionAsync(Tenant, replay.Id, 1, [JobPhases.Replay], Ct);

        var state = new ErasureReplayState(Tenant, replay.Id, 2) { PageSize = 2 };
        do
        {
            state = await _steps.ReplayPage.RunAsync(state, Ct);
        }
        while (state.More);

        await _steps.Complete.RunAsync(state, Ct);
        _jobs.Items[replay.Id].Counts.Total.Should().Be(3);
    }

    [Fact]
    public async Task A_second_replay_while_one_is_open_is_refused_naming_it()
    {
        var requests = new ErasureReplayRequests(_jobs, _workflows, _clock);
        var tenant = new Tenant(Tenant, "Acme", TenantState.Active, _clock.GetUtcNow(), 1);
        var first = (Accepted)await requests.SubmitAsync(tenant, "platform", "platform-admin", Ct);

        var second = await requests.SubmitAsync(tenant, "platform", "platform-admin", Ct);

        second.Should().BeOfType<ErasureOpen>().Which.JobId.Should().Be(first.Job.Id);
    }

    [Fact]
    public void A_replay_cursor_survives_its_round_trip_through_the_state()
    {
        var cursor = new ReplayCursor(JobType.RetentionSweep, "jobs-page-2", "job-r9", "tomb-17", 42);

        ReplayCursor.Decode(cursor.Encode()).Should().Be(cursor);
        ReplayCursor.Decode(null).Should().Be(ReplayCursor.Start);
        FluentActions.Invoking(() => ReplayCursor.Decode(Convert.ToBase64String("export\n\n\n"u8.ToArray()))).Should().Throw<FormatException>();
    }
}
