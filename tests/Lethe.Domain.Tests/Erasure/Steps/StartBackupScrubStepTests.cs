using Lethe.Domain.BackupScrub;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>StartBackupScrub (workflows/deletion.asl.json → StartBackupScrubStep).</summary>
public sealed class StartBackupScrubStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> CertifiedAsync()
    {
        var state = await _h.ShredAllAsync(await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync()));
        return await _h.Steps.Certify.RunAsync(state, Ct);
    }

    [Fact]
    public async Task Start_backup_scrub_should_store_a_scrub_job_of_the_erasure_due_in_thirty_days_start_it_and_move_to_notify()
    {
        var state = await CertifiedAsync();

        await _h.Steps.StartBackupScrub.RunAsync(state, Ct);

        var scrub = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, BackupScrubRequests.IdFor(state.JobId), Ct))!;
        scrub.Type.Should().Be(JobType.BackupScrub);
        scrub.SourceJobId.Should().Be(state.JobId);
        scrub.SubjectRef.Should().Be(ErasureHarness.Subject);
        scrub.Deadline.Should().Be(_h.Clock.GetUtcNow().AddDays(30));
        _h.Workflows.Started.Should().Contain(Job.ExecutionNameOf(scrub.Id, 1));
        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!.Phase.Should().Be(JobPhases.Notify);
    }

    [Fact]
    public async Task Start_backup_scrub_when_the_tenant_runs_on_a_fast_time_scale_should_divide_the_thirty_days()
    {
        _h.Tenants.Items[ErasureHarness.Tenant] = new Tenant(ErasureHarness.Tenant, "Local", TenantState.Active, _h.Clock.GetUtcNow(), 86_400);
        var state = await CertifiedAsync();

        await _h.Steps.StartBackupScrub.RunAsync(state, Ct);

        (await _h.Jobs.FindAsync(ErasureHarness.Tenant, BackupScrubRequests.IdFor(state.JobId), Ct))!.Deadline.Should().Be(_h.Clock.GetUtcNow().AddSeconds(30));
    }

    [Fact]
    public async Task Start_backup_scrub_when_replayed_should_neither_store_nor_start_a_second_scrub()
    {
        var state = await CertifiedAsync();
        await _h.Steps.StartBackupScrub.RunAsync(state, Ct);
        _h.Clock.Advance(TimeSpan.FromMinutes(1));

        await _h.Steps.StartBackupScrub.RunAsync(state, Ct);

        var scrubs = (await _h.Jobs.ListAsync(ErasureHarness.Tenant, new JobQuery(null, JobType.BackupScrub, null, null, 10), Ct)).Items.Where(j => j.Type == JobType.BackupScrub).ToList();
        scrubs.Should().ContainSingle().Which.CreatedAt.Should().Be(_h.Clock.GetUtcNow().AddMinutes(-1));
        _h.Workflows.Started.Count(name => name.StartsWith(scrubs[0].Id, StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public void The_scrub_job_id_is_a_job_id_sorted_beside_its_source_and_the_same_for_every_replay()
    {
        var source = Job.NewId(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

        var id = BackupScrubRequests.IdFor(source);

        id.Should().MatchRegex("^job_[0-9a-f]{28}$").And.StartWith(source[..16]).And.NotBe(source);
        BackupScrubRequests.IdFor(source).Should().Be(id);
        BackupScrubRequests.IdFor(Job.NewId(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero))).Should().NotBe(id);
    }
}
