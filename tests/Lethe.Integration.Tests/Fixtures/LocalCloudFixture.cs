using Lethe.LocalCloud;
using Microsoft.Extensions.Logging;
using Lethe.Tests.Integration.Fixtures;

[assembly: AssemblyFixture(typeof(LocalCloudFixture))]

namespace Lethe.Tests.Integration.Fixtures;

/// <summary>One local cloud (moto + gateway) for the whole test run, with the probe handlers the tests drive.</summary>
public sealed class LocalCloudFixture : IAsyncLifetime
{
    private LocalCloudHost? _cloud;
    private Microsoft.Extensions.Logging.ILoggerFactory? _loggers;

    public LocalCloudHost Cloud => _cloud ?? throw new InvalidOperationException("The local cloud is not started.");

    public ProbeHandlers Probes { get; } = new();

    public async ValueTask InitializeAsync()
    {
        // Warnings of the local cloud (a handler that failed, a forward that failed) go to api-errors.log beside the binaries.
        _loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(new ErrorLogFile()));
        // Three items per export volume: every export test with more than three items sees several volumes (DESIGN.md cuts at 2 GB).
        Environment.SetEnvironmentVariable("LETHE_EXPORT_VOLUME_ITEMS", "3");
        // A key rotation looks at the old key a second after its switch, not 16 minutes (no writer here outlasts the test).
        Environment.SetEnvironmentVariable("LETHE_KEY_RETIRE_DELAY_SECONDS", "1");
        // The in-process API answers in milliseconds: an offboarding waits a second for requests in flight, not the API's 29 s timeout.
        Environment.SetEnvironmentVariable("LETHE_API_REQUEST_SECONDS", "1");
        _cloud = await LocalCloudHost.StartAsync(new LocalCloudOptions
        {
            ResourcePrefix = "lethe-it",
            ConfigureHandlers = Probes.Register,
        }, _loggers);
        _cloud.ApplyToProcessEnvironment();
        await File.AppendAllTextAsync(
            Path.Combine(AppContext.BaseDirectory, "local-cloud-startup.txt"),
            $"{DateTimeOffset.UtcNow:O} local cloud started in {_cloud.StartupTime.TotalSeconds:0.00} s{Environment.NewLine}");
    }

    /// <summary>The tenant's journal events as stored in the Audit table (consistent reads, every page).</summary>
    public async Task<List<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>>> JournalItemsAsync(string tenant, CancellationToken cancellationToken)
    {
        using var dynamo = Cloud.CreateDynamoDbClient();
        var items = new List<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>>();
        Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new Amazon.DynamoDBv2.Model.QueryRequest
            {
                TableName = Lethe.Aws.Configuration.ResourceNames.FromEnvironment().Table(Lethe.Catalog.ResourceCatalog.Audit),
                KeyConditionExpression = "pk = :p AND begins_with(sk, :e)",
                ExpressionAttributeValues = new() { [":p"] = new() { S = $"TENANT#{tenant}" }, [":e"] = new() { S = "EVENT#" } },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            items.AddRange(page.Items);
            start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>The actions of the tenant's journal events, sorted.</summary>
    public async Task<List<string>> JournalActionsAsync(string tenant, CancellationToken cancellationToken) =>
        (await JournalItemsAsync(tenant, cancellationToken)).Select(i => i["action"].S).Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        if (_cloud is not null)
        {
            // The emulator's own log, kept with the test results: when moto dies mid-run, the reason is in here.
            await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "local-cloud-moto.log"), _cloud.MotoOutput);
            await _cloud.DisposeAsync();
        }

        _loggers?.Dispose();
    }
}
