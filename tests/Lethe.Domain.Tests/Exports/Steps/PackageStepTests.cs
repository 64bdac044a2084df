using System.IO.Compression;
using Lethe.Domain.Errors;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Tests.Exports.Steps;

/// <summary>Package (workflows/export.asl.json → PackageStep).</summary>
public sealed class PackageStepTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ExportHarness _h = new();

    private async Task<ExportState> CollectedAsync()
    {
        var job = await _h.SubmitAsync();
        return await _h.Steps.Collect.RunAsync(new ExportState(ExportHarness.Tenant, job.Id, 1), Ct);
    }

    [Fact]
    public async Task Package_should_write_one_complete_archive_per_volume_until_every_item_is_in()
    {
        var state = await _h.PackageAllAsync(await CollectedAsync());

        state.Volume.Should().Be(3);
        _h.Objects.Keys.Should().BeEquivalentTo("exp-1/1", "exp-1/2", "exp-1/3");
        var job = (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!;
        job.ExportParts.Should().Be(3);
        job.Exported.Should().Be(5);
        job.ExportMore.Should().BeFalse();
        foreach (var archive in _h.Objects.Values)
        {
            using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
            zip.Entries.Select(e => e.FullName).Should().Contain("manifest.json");
        }
    }

    [Fact]
    public async Task Package_when_a_volume_is_replayed_should_record_it_once_and_answer_as_the_first_run_did()
    {
        var collected = await CollectedAsync();
        var first = await _h.Steps.Package.RunAsync(collected, Ct);

        var replayed = await _h.Steps.Package.RunAsync(collected, Ct);

        replayed.Should().Be(first);
        (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!.Exported.Should().Be(2);
        _h.Evidence.Events.Values.Count(e => e.Action == "export.volume").Should().Be(1);
    }

    [Fact]
    public async Task Package_when_the_subjects_erasure_is_open_should_refuse_before_writing_a_byte()
    {
        var collected = await CollectedAsync();
        _h.ErasureOpen = true;

        var package = () => _h.Steps.Package.RunAsync(collected, Ct);

        await package.Should().ThrowAsync<ErasureInProgressException>();
        _h.Objects.Should().BeEmpty();
    }

    [Fact]
    public async Task Package_when_an_erasure_purged_the_volume_while_it_was_written_should_delete_its_object_and_fail()
    {
        var collected = await CollectedAsync();
        _h.AfterUpload = _ => _h.Volumes[IExportVolumeRegistry.ItemId("exp-1", 1)] = ItemState.Purged;

        var package = () => _h.Steps.Package.RunAsync(collected, Ct);

        await package.Should().ThrowAsync<ErasureInProgressException>();
        _h.Objects.Should().BeEmpty();
        (await _h.Jobs.FindAsync(ExportHarness.Tenant, "exp-1", Ct))!.ExportParts.Should().Be(0);
    }
}
