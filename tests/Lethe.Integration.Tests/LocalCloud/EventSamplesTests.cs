using System.Text;
using System.Text.Json;
using Lethe.Catalog;
using Lethe.Tests.Integration.Fixtures;

namespace Lethe.Tests.Integration.LocalCloud;

/// <summary>
/// events/functions holds a real-shaped input for every handler (README there): each one is accepted by its handler through
/// the gateway, so a sample cannot drift from what the handlers parse. The workflow steps' samples name a job that does not
/// exist, so their guard answers <c>Lethe.JobNotActive</c>: the state was read and checked, nothing was touched. The others
/// (schedules, a status change, a stream batch, the smoke check) are answered without an error.
/// </summary>
public sealed class EventSamplesTests(LocalCloudFixture fixture)
{
    private static readonly HttpClient Http = new();

    private static string SamplePath(string handler) => Path.Combine(AppContext.BaseDirectory, "events", "functions", $"{handler}.json");

    public static TheoryData<string> AllHandlers() => new(Handlers.All);

    [Fact]
    public void Every_handler_has_a_sample_input()
    {
        Handlers.All.Where(h => !File.Exists(SamplePath(h))).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(AllHandlers))]
    public async Task A_handlers_sample_is_read_and_checked_by_the_handler(string handler)
    {
        var sample = await File.ReadAllTextAsync(SamplePath(handler), TestContext.Current.CancellationToken);

        using var response = await Http.PostAsync(new Uri(fixture.Cloud.Endpoint, $"2015-03-31/functions/{handler}/invocations"),
            new StringContent(sample, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var errorType = response.Headers.Contains("X-Amz-Function-Error") ? body.RootElement.GetProperty("errorType").GetString() : null;
        var isStep = (Handlers.Deletion.Contains(handler) || Handlers.Export.Contains(handler) || Handlers.RetentionSweep.Contains(handler) || Handlers.ArchiveRetrieval.Contains(handler) || Handlers.BackupScrub.Contains(handler) || Handlers.ErasureReplay.Contains(handler) || Handlers.KeyRotation.Contains(handler) || Handlers.TenantOffboarding.Contains(handler) || (Handlers.Ingest.Contains(handler) && handler != Handlers.IngestReceive)) && !handler.EndsWith("record-failure", StringComparison.Ordinal);
        if (isStep)
        {
            errorType.Should().Be("Lethe.JobNotActive", "the sample's job does not exist, so the step's guard stops it after reading the state");
        }
        else if (handler.EndsWith("record-failure", StringComparison.Ordinal))
        {
            errorType.Should().BeNull();
            body.RootElement.GetProperty("status").GetString().Should().Be("unknown");
        }
        else
        {
            // Schedules, status changes, the stream batch and the smoke check: answered, not failed.
            errorType.Should().BeNull(body.RootElement.GetRawText());
            body.RootElement.ValueKind.Should().Be(JsonValueKind.Object);
        }
    }
}
