using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Tests.Erasure.Steps;

/// <summary>Certify (workflows/deletion.asl.json → CertifyStep).</summary>
public sealed class CertifyStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ErasureHarness _h = new();

    private async Task<ErasureState> ShreddedAsync() => await _h.ShredAllAsync(await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync()));

    [Fact]
    public async Task Certify_when_replayed_should_sign_one_certificate_and_name_it_on_the_job()
    {
        var state = await ShreddedAsync();

        await _h.Steps.Certify.RunAsync(state, Ct);
        _h.Clock.Advance(TimeSpan.FromMinutes(3));
        await _h.Steps.Certify.RunAsync(state, Ct);

        _h.Evidence.Certificates.Should().ContainSingle();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;
        job.CertificateId.Should().Be(_h.Evidence.Certificates[("job-1", "deletion")].CertificateId);
        job.Phase.Should().Be(JobPhases.Certify);
        _h.Evidence.Events.Values.Count(e => e.Action == "erasure.certificate").Should().Be(1);
    }

    [Fact]
    public async Task Certify_should_state_the_shred_method_and_the_tally_the_job_counted()
    {
        var state = await ShreddedAsync();

        await _h.Steps.Certify.RunAsync(state, Ct);

        var certificate = await _h.CertificateAsync();
        certificate.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(3);
        certificate.GetRawText().Should().Contain("kek-deleted");
    }

    [Fact]
    public async Task Certify_when_the_job_has_not_shredded_should_refuse_and_sign_nothing()
    {
        var state = await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync());

        var certify = () => _h.Steps.Certify.RunAsync(state, Ct);

        await certify.Should().ThrowAsync<Lethe.Domain.Jobs.Workflow.JobNotActiveException>();
        _h.Evidence.Certificates.Should().BeEmpty();
    }
}
