using System.Text.Json;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Tests.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Lethe.Domain.Tests.Erasure;

/// <summary>
/// The deletion workflow's steps against in-memory ports: the certificate and the shred decide from the job's counters and
/// from consistent reads, never from an index page that may be stale (issue 11, finding 4); a legal hold pauses the erasure
/// (finding 12).
/// </summary>
public sealed class ErasureStepsTests
{
    private const string Tenant = "t1";
    private const string Subject = "ref-anna";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJobStore _jobs = new();
    private readonly InMemoryErasureInventory _inventory = new();
    private readonly InMemoryPurger _purger = new();
    private readonly InMemorySubjectKeys _keys = new();
    private readonly InMemoryHolds _holds = new();
    private readonly InMemoryEvidence _evidence = new();
    private readonly ErasureSteps _steps;

    public ErasureStepsTests()
    {
        _steps = new ErasureSteps(new ErasurePorts(_jobs, _inventory, _purger, _keys, _keys, _holds, _evidence, _evidence, _evidence, _evidence, _evidence, _clock));
        _inventory.Holds = _holds;
        _inventory.Add(Item("rec-1", "record", "transcript", "dynamodb"));
        _inventory.Add(Item("rec-2", "record", "transcript", "dynamodb"));
        _inventory.Add(Item("file-1", "file", "recording", "s3"));
    }

    private static ErasureItem Item(string id, string kind, string category, string store) =>
        new(id, kind, category, ItemState.Active, new Dictionary<string, string> { ["store"] = store }, Encrypted: kind == "record", SubjectRef: Subject);

    /// <summary>Submits the erasure and runs it through the soft-delete to the end of its window.</summary>
    private async Task<ErasureState> ThroughTheWindowAsync(int pageSize = 100, bool holdDuringWindow = false)
    {
        var job = await SubmitAsync();
        var state = await SoftDeleteAllAsync(await _steps.ValidateAsync(new ErasureState(Tenant, job.Id, 1) { PageSize = pageSize }, Ct));

        if (holdDuringWindow)
        {
            _holds.HeldSubjects.Add(Subject);
        }

        _clock.Advance(TimeSpan.FromDays(29));
        return await _steps.BeginPurgeAsync(state, Ct);
    }

    private async Task<ErasureState> PurgeAllAsync(ErasureState state)
    {
        do
        {
            state = await _steps.PurgePageAsync(state, Ct);
        }
        while (state.More && !state.Held);

        return state;
    }

    private async Task<ErasureState> ShredAllAsync(ErasureState state)
    {
        do
        {
            state = await _steps.ShredAsync(state, Ct);
        }
        while (state.More);

        return state;
    }

    private async Task<JsonElement> CertificateAsync()
    {
        var stored = _evidence.Certificates["job-1"];
        using var document = JsonDocument.Parse(stored.Payload);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task PurgePage_WhenAStalePageShowsItemsACrashedRunAlreadyPurged_ShouldStillCertifyEveryItemAndDeleteTheKey()
    {
        var state = await ThroughTheWindowAsync();
        // A first run purged every item and died before recording its page; the index has not caught up with that yet.
        _inventory.SyncOnEveryWrite = false;
        foreach (var id in _inventory.Truth.Keys.ToList())
        {
            _inventory.Truth[id] = _inventory.Truth[id] with { State = ItemState.Purged, VersionsDeleted = id == "file-1" ? 2 : 0 };
        }

        state = await ShredAllAsync(await PurgeAllAsync(state));
        await _steps.CertifyAsync(state, Ct);

        state.ShredMethod.Should().Be("kek-deleted", "nothing survived, whatever the stale page showed");
        _keys.CurrentKekId.Should().BeNull();
        var counts = (await CertificateAsync()).GetProperty("counts");
        counts.GetProperty("itemsErased").GetInt64().Should().Be(3);
        counts.GetProperty("objectVersionsDeleted").GetInt64().Should().Be(2);
        (await _jobs.FindAsync(Tenant, "job-1", Ct))!.Counts.PurgedByCategory.Should().BeEquivalentTo(new Dictionary<string, long> { ["transcript"] = 2, ["recording"] = 1 });
    }

    [Fact]
    public async Task PurgePage_WhenReplayedWithTheSameInput_ShouldCountEachItemOnce()
    {
        var state = await ThroughTheWindowAsync(pageSize: 2);

        var first = await _steps.PurgePageAsync(state, Ct);
        var replay = await _steps.PurgePageAsync(state, Ct);

        replay.Should().Be(first);
        var job = (await _jobs.FindAsync(Tenant, "job-1", Ct))!;
        job.Counts.Purged.Should().Be(2);
        job.Counts.PurgedByStore.Values.Sum().Should().Be(2);
    }

    [Fact]
    public async Task Shred_WhenTheCountersSayNothingSurvives_ShouldDeleteTheKeyEvenIfTheIndexStillShowsItemsUnpurged()
    {
        var state = await PurgeAllAsync(await ThroughTheWindowAsync());
        // The index lags behind the purge: every item still looks soft-deleted there.
        _inventory.SyncOnEveryWrite = false;
        foreach (var id in _inventory.Truth.Keys.ToList())
        {
            _inventory.Truth[id] = _inventory.Truth[id] with { State = ItemState.SoftDeleted };
        }

        _inventory.SyncIndex();
        foreach (var id in _inventory.Truth.Keys.ToList())
        {
            _inventory.Truth[id] = _inventory.Truth[id] with { State = ItemState.Purged };
        }

        state = await ShredAllAsync(state);

        state.ShredMethod.Should().Be("kek-deleted");
        _keys.RewrappedRecords.Should().BeEmpty();
    }

    [Fact]
    public async Task Shred_WhenARestoredRecordSurvives_ShouldRewrapItPageByPageAndReplaceTheKeyOnce()
    {
        var now = _clock.GetUtcNow();
        var job = await ThroughTheWindowPreparingAsync(pageSize: 1, restore: "rec-2");

        var state = await ShredAllAsync(await PurgeAllAsync(job));

        state.ShredMethod.Should().Be("kek-replaced");
        _keys.RewrappedRecords.Should().Equal("rec-2");
        _keys.DirectoryRewraps.Should().Be(1);
        _keys.Destroyed.Should().Equal("kek-1");
        _keys.CurrentKekId.Should().Be("kek-2");
        _clock.GetUtcNow().Should().BeAfter(now);
    }

    /// <summary>Like <see cref="ThroughTheWindowAsync"/>, restoring one item inside the window.</summary>
    private async Task<ErasureState> ThroughTheWindowPreparingAsync(int pageSize, string restore)
    {
        var now = _clock.GetUtcNow();
        var job = new Job
        {
            Id = "job-1", TenantId = Tenant, Type = JobType.Deletion, SubjectRef = Subject, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddDays(29), Deadline = now.AddDays(30), RequestedBy = "admin",
        };
        await _jobs.CreateAsync(job, null, Ct);
        var state = await _steps.ValidateAsync(new ErasureState(Tenant, job.Id, 1) { PageSize = pageSize }, Ct);
        do
        {
            state = await _steps.SoftDeletePageAsync(state, Ct);
        }
        while (state.More);

        (await _inventory.RestoreAsync(Tenant, restore, _clock.GetUtcNow(), Ct)).Should().BeTrue();
        _clock.Advance(TimeSpan.FromDays(29));
        return await _steps.BeginPurgeAsync(state, Ct);
    }

    [Fact]
    public async Task PurgePage_WhenAnItemTheSoftDeleteNeverSawIsStillActive_ShouldPurgeItInsteadOfCertifyingASurvivor()
    {
        var state = await ThroughTheWindowAsync();
        // Written just before the lock, and missing from the index the soft-delete pages read.
        _inventory.Truth["rec-late"] = Item("rec-late", "record", "journal", "dynamodb");

        _inventory.SyncIndex();
        state = await ShredAllAsync(await PurgeAllAsync(state));
        await _steps.CertifyAsync(state, Ct);

        _inventory.Truth["rec-late"].State.Should().Be(ItemState.Purged);
        state.ShredMethod.Should().Be("kek-deleted", "nobody chose to keep it, so it is no survivor");
        (await CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(4);
    }

    [Fact]
    public async Task Shred_WhenAnItemFailed_ShouldRefuseAndKeepTheKey()
    {
        _purger.Failing.Add("file-1");
        var state = await PurgeAllAsync(await ThroughTheWindowAsync());

        var shred = async () => await _steps.ShredAsync(state, Ct);

        await shred.Should().ThrowAsync<ErasureIncompleteException>();
        _keys.CurrentKekId.Should().Be("kek-1");
        (await _jobs.FindAsync(Tenant, "job-1", Ct))!.Errors.Should().ContainSingle(e => e.ItemId == "file-1");
    }

    [Fact]
    public async Task BeginPurge_WhenAHoldWasPlacedDuringTheWindow_ShouldPauseInPhaseHeldAndDeleteNothing()
    {
        var state = await ThroughTheWindowAsync(holdDuringWindow: true);

        state.Held.Should().BeTrue();
        var job = (await _jobs.FindAsync(Tenant, "job-1", Ct))!;
        job.Status.Should().Be(JobStatus.Running);
        job.Phase.Should().Be(JobPhases.Held);
        _purger.Purged.Should().BeEmpty();
        _evidence.Events.Values.Should().Contain(e => e.Action == "erasure.held");
    }

    [Fact]
    public async Task PurgePage_WhenAHoldIsPlacedBetweenPages_ShouldPauseBeforeTheNextPage()
    {
        var state = await ThroughTheWindowAsync(pageSize: 1);
        state = await _steps.PurgePageAsync(state, Ct);
        _holds.HeldSubjects.Add(Subject);

        state = await _steps.PurgePageAsync(state, Ct);

        state.Held.Should().BeTrue();
        state.More.Should().BeFalse();
        _purger.Purged.Should().HaveCount(1);
        (await _jobs.FindAsync(Tenant, "job-1", Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task ResumeHeld_WhenTheLastHoldIsReleased_ShouldStartTheNextExecutionAtThePurgeAndCertifyEverything()
    {
        await ThroughTheWindowAsync(holdDuringWindow: true);
        var workflows = new RecordingWorkflowStarter();
        var requests = new RequestService(_jobs, workflows, _holds, _inventory, _clock);
        (await requests.Held.ResumeAsync(Tenant, Subject, Ct)).Should().BeNull("a hold still stands");
        _holds.HeldSubjects.Clear();

        var resumed = await requests.Held.ResumeAsync(Tenant, Subject, Ct);
        var again = await requests.Held.ResumeAsync(Tenant, Subject, Ct);

        resumed!.Execution.Should().Be(2);
        again.Should().BeNull("the job is no longer held");
        workflows.Started.Should().ContainSingle().Which.Should().Be(new WorkflowInput(Tenant, "job-1", 2) { Resume = JobPhases.Purge });
        var state = ErasureState.From(workflows.Started[0]);
        state = await _steps.ValidateAsync(state, Ct);
        state = await ShredAllAsync(await PurgeAllAsync(state));
        await _steps.CertifyAsync(state, Ct);
        (await CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(3);
    }

    [Fact]
    public async Task PurgePage_WhenAHoldIsPlacedAfterItsCheckButBeforeItsWrite_ShouldPurgeNothingAndPause()
    {
        var state = await ThroughTheWindowAsync();
        _inventory.BeforeNextPurgeWrite = () => _holds.HeldSubjects.Add(Subject);

        state = await _steps.PurgePageAsync(state, Ct);

        state.Held.Should().BeTrue();
        _purger.Purged.Should().BeEmpty("the move to purging is conditional on no hold, in its own write");
        _inventory.Truth.Values.Should().OnlyContain(i => i.State == ItemState.SoftDeleted);
        (await _jobs.FindAsync(Tenant, "job-1", Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task SoftDeletePage_WhenAResumeRunsItAgainAfterARestore_ShouldLeaveTheRestoredItemActiveAndCertifyItAsRestored()
    {
        var job = await SubmitAsync();
        var state = await SoftDeleteAllAsync(await _steps.ValidateAsync(new ErasureState(Tenant, job.Id, 1), Ct));
        var requests = new RequestService(_jobs, new RecordingWorkflowStarter(), _holds, _inventory, _clock);
        (await requests.RestoreItemAsync(Tenant, "rec-1", Ct)).Change.Should().Be(JobChange.Done);

        // A resume after a hold runs the soft-delete from its first page again.
        await _jobs.TryUpdateAsync(Tenant, job.Id, new JobUpdate([JobStatus.Running], _clock.GetUtcNow()) { Phase = JobPhases.SoftDelete }, Ct);
        state = await SoftDeleteAllAsync(state with { Cursor = null, Page = 0 });
        _clock.Advance(TimeSpan.FromDays(29));
        state = await ShredAllAsync(await PurgeAllAsync(await _steps.BeginPurgeAsync(state, Ct)));
        await _steps.CertifyAsync(state, Ct);

        _inventory.Truth["rec-1"].State.Should().Be(ItemState.Active, "the restore was kept");
        _purger.Purged.Should().BeEquivalentTo(["rec-2", "file-1"]);
        var counts = (await CertificateAsync()).GetProperty("counts");
        counts.GetProperty("itemsErased").GetInt64().Should().Be(2);
        counts.GetProperty("restoredBeforePurge").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task SoftDeletePage_WhenACancelledErasureLeftAnItemHidden_ShouldTakeItOverSoItIsPurgedAndCertifiedByThisOne()
    {
        _inventory.Add(Item("rec-old", "record", "transcript", "dynamodb") with
        {
            State = ItemState.SoftDeleted, ErasureJobId = "job-0", PurgeAt = _clock.GetUtcNow().AddDays(60),
        });

        var state = await ThroughTheWindowAsync();
        state = await ShredAllAsync(await PurgeAllAsync(state));
        await _steps.CertifyAsync(state, Ct);

        _inventory.Truth["rec-old"].State.Should().Be(ItemState.Purged);
        (await CertificateAsync()).GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(4);
        (await _jobs.FindAsync(Tenant, "job-1", Ct))!.Counts.Failed.Should().Be(0);
    }

    [Fact]
    public async Task SoftDeletePage_WhenAHoldPausedTheJobWhileItsLastPageRan_ShouldLeaveTheJobHeld()
    {
        var job = await SubmitAsync();
        var state = await _steps.ValidateAsync(new ErasureState(Tenant, job.Id, 1), Ct);
        await _jobs.TryUpdateAsync(Tenant, job.Id, new JobUpdate([JobStatus.Running], _clock.GetUtcNow()) { Phase = JobPhases.Held }, Ct);

        var step = () => _steps.SoftDeletePageAsync(state, Ct);

        await step.Should().ThrowAsync<JobNotActiveException>();
        (await _jobs.FindAsync(Tenant, job.Id, Ct))!.Phase.Should().Be(JobPhases.Held);
    }

    [Fact]
    public async Task Steps_WhenTheirExecutionWasSupersededByALaterOne_ShouldDoNothing()
    {
        var state = await ThroughTheWindowAsync();
        await _jobs.TryUpdateAsync(Tenant, "job-1", new JobUpdate([JobStatus.Running], _clock.GetUtcNow()) { NextExecution = true }, Ct);

        var purge = () => _steps.PurgePageAsync(state, Ct);

        await purge.Should().ThrowAsync<JobNotActiveException>();
        _purger.Purged.Should().BeEmpty();
    }

    [Fact]
    public async Task RecordFailure_WhenTheJobIsPausedByAHold_ShouldLeaveItHeldAndLocked()
    {
        await ThroughTheWindowAsync(holdDuringWindow: true);

        await _steps.RecordFailureAsync(Tenant, "job-1", 1, "States.TaskFailed", "the stopped execution's step failed", Ct);

        var job = (await _jobs.FindAsync(Tenant, "job-1", Ct))!;
        job.Status.Should().Be(JobStatus.Running);
        job.Phase.Should().Be(JobPhases.Held);
        (await _jobs.OpenErasureAsync(Tenant, Subject, Ct)).Should().Be("job-1");
    }

    private async Task<Job> SubmitAsync()
    {
        var now = _clock.GetUtcNow();
        var job = new Job
        {
            Id = "job-1", TenantId = Tenant, Type = JobType.Deletion, SubjectRef = Subject, Status = JobStatus.Queued, Phase = JobPhases.Validate,
            CreatedAt = now, UpdatedAt = now, PurgeAt = now.AddDays(29), Deadline = now.AddDays(30), RequestedBy = "admin",
        };
        (await _jobs.CreateAsync(job, null, Ct)).Should().BeOfType<JobCreated>();
        return job;
    }

    private async Task<ErasureState> SoftDeleteAllAsync(ErasureState state)
    {
        do
        {
            state = await _steps.SoftDeletePageAsync(state, Ct);
        }
        while (state.More);

        return state;
    }

    private sealed class RecordingWorkflowStarter : IWorkflowStarter
    {
        public List<WorkflowInput> Started { get; } = [];

        public Task<string> StartAsync(Job job, WorkflowInput input, CancellationToken cancellationToken)
        {
            Started.Add(input);
            return Task.FromResult($"arn:aws:states:local:000000000000:execution:deletion:{job.Id}-{input.Execution}");
        }

        public Task StopAsync(Job job, string cause, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<string?> StatusAsync(Job job, CancellationToken cancellationToken) => Task.FromResult<string?>("RUNNING");
    }
}
