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
    public async Task Certify_WhenReplayed_ShouldSignOneCertificateAndNameItOnTheJob()
    {
        var state = await ShreddedAsync();

        await _h.Steps.Certify.RunAsync(state, Ct);
        _h.Clock.Advance(TimeSpan.FromMinutes(3));
        await _h.Steps.Certify.RunAsync(state, Ct);

        _h.Evidence.Certificates.Should().ContainSingle();
        var job = (await _h.Jobs.FindAsync(ErasureHarness.Tenant, state.JobId, Ct))!;
        job.CertificateId.Should().Be(_h.Evidence.Certificates["job-1"].CertificateId);
        job.Phase.Should().Be(JobPhases.Certify);
        _h.Evidence.Events.Values.Count(e => e.Action == "erasure.certificate").Should().Be(1);
    }

    [Fact]
    public async Task Certify_ShouldStateTheShredMethodAndTheTallyTheJobCounted()
    {
        var state = await ShreddedAsync();

        await _h.Steps.Certify.RunAsync(state, Ct);

        var certificate = await _h.CertificateAsync();
        certificate.GetProperty("counts").GetProperty("itemsErased").GetInt64().Should().Be(3);
        certificate.GetRawText().Should().Contain("kek-deleted");
    }

    [Fact]
    public async Task Certify_WhenTheJobHasNotShredded_ShouldRefuseAndSignNothing()
    {
        var state = await _h.PurgeAllAsync(await _h.ThroughTheWindowAsync());

        var certify = () => _h.Steps.Certify.RunAsync(state, Ct);

        await certify.Should().ThrowAsync<Lethe.Domain.Jobs.Workflow.JobNotActiveException>();
        _h.Evidence.Certificates.Should().BeEmpty();
    }
}
