using System.Diagnostics;
using System.Globalization;
using Amazon;
using Amazon.DynamoDBv2;
using Amazon.KeyManagementService;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Workflows;
using Lethe.Functions;
using Lethe.Lambda.Runtime;
using Lethe.LocalCloud.Bootstrap;
using Lethe.LocalCloud.Gateway;
using Lethe.LocalCloud.Moto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Lethe.Catalog;

namespace Lethe.LocalCloud;

/// <summary>
/// The embedded cloud: our gateway (Lambda Invoke answered in-process, everything else forwarded) in front of moto_server,
/// with every catalog resource created and Step Functions execution turned on. Also the integration-test fixture.
/// </summary>
public sealed class LocalCloudHost : IAsyncDisposable
{
    public const string AccessKey = "test";
    public const string SecretKey = "test";

    private readonly AwsGateway _gateway;
    private readonly MotoServer _moto;
    private readonly HttpClient _http;
    private readonly LocalCloudOptions _options;

    private readonly IReadOnlyCollection<string> _handlerNames;
    private readonly LambdaInvoker _invoker;
    private readonly ILoggerFactory _loggers;
    private readonly List<IAsyncDisposable> _eventSources = [];

    private LocalCloudHost(LocalCloudOptions options, AwsGateway gateway, MotoServer moto, HttpClient http, IReadOnlyCollection<string> handlerNames, LambdaInvoker invoker, ILoggerFactory loggers)
    {
        _invoker = invoker;
        _loggers = loggers;
        _options = options;
        _handlerNames = handlerNames;
        _gateway = gateway;
        _moto = moto;
        _http = http;
        Credentials = new BasicAWSCredentials(AccessKey, SecretKey);
        Region = RegionEndpoint.GetBySystemName(options.Region);
        StepFunctions = new StepFunctionsClient(
            http,
            new StepFunctionsClientOptions { Region = Region, ServiceUrl = gateway.Endpoint },
            _ => ValueTask.FromResult(Credentials),
            options.Clock);
    }

    /// <summary>The AWS endpoint every client uses (the gateway).</summary>
    public Uri Endpoint => _gateway.Endpoint;

    public int MotoProcessId => _moto.ProcessId;

    public int? MotoExitCode => _moto.ExitCode;

    public string MotoOutput => _moto.Output;

    public long LambdaInvocations => _gateway.Invocations;

    /// <summary>KMS calls that went through the gateway, by operation and encryption-context tenant.</summary>
    public KmsCallCounter KmsCalls => _gateway.KmsCalls;

    /// <summary>Every AWS call forwarded to the emulator, by operation (benchmarks count calls per item with it).</summary>
    public AwsCallCounter AwsCalls => _gateway.AwsCalls;

    public AWSCredentials Credentials { get; }

    public RegionEndpoint Region { get; }

    public string StateMachineRoleArn => $"arn:aws:iam::{_options.AccountId}:role/{_options.ResourcePrefix}-stepfunctions";

    public TimeSpan StartupTime { get; private set; }

    /// <summary>Every variable a function or the API needs to reach the local cloud: endpoint, region, credentials, physical names.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public StepFunctionsClient StepFunctions { get; }

    /// <summary>SNS of the local cloud (topics, queue subscriptions), through its query API.</summary>
    public Bootstrap.SnsQueryClient Sns => new(_http, Endpoint, _options.Region);

    public static async Task<LocalCloudHost> StartAsync(LocalCloudOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<LocalCloudHost>();
        var watch = Stopwatch.StartNew();

        var registry = FunctionCatalog.Register(new HandlerRegistry(), options.Clock);
        options.ConfigureHandlers?.Invoke(registry);
        var invoker = new LambdaInvoker(registry, options.Clock, loggerFactory.CreateLogger("Lethe.LocalCloud.Lambda"), options.Region, options.AccountId);

        var gateway = await AwsGateway.StartAsync(options.GatewayPort, invoker, loggerFactory, cancellationToken);
        MotoServer? moto = null;
        try
        {
            moto = await MotoServer.StartAsync(options.Python, gateway.Port, options.StartTimeout, logger, cancellationToken);
            gateway.ForwardTo(moto.Endpoint);
            var host = new LocalCloudHost(options, gateway, moto, new HttpClient { Timeout = TimeSpan.FromSeconds(100) }, registry.Names.ToList(), invoker, loggerFactory);
            await host.EnableStepFunctionsExecutionAsync(cancellationToken);
            await host.CreateResourcesAsync(cancellationToken);
            await host.DeployWorkflowsAsync(cancellationToken);
            host.StartEventSources();
            host.StartupTime = watch.Elapsed;
            logger.LogInformation("Local cloud ready at {Endpoint} in {Seconds:0.0} s", host.Endpoint, host.StartupTime.TotalSeconds);
            return host;
        }
        catch
        {
            if (moto is not null)
            {
                await moto.DisposeAsync();
            }

            await gateway.DisposeAsync();
            throw;
        }
    }

    public AmazonDynamoDBClient CreateDynamoDbClient() => new(Credentials, new AmazonDynamoDBConfig { ServiceURL = Endpoint.ToString(), AuthenticationRegion = _options.Region });

    public AmazonS3Client CreateS3Client() => new(Credentials, new AmazonS3Config { ServiceURL = Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = _options.Region });

    public AmazonKeyManagementServiceClient CreateKmsClient() => new(Credentials, new AmazonKeyManagementServiceConfig { ServiceURL = Endpoint.ToString(), AuthenticationRegion = _options.Region });

    public AmazonSQSClient CreateSqsClient() => new(Credentials, new AmazonSQSConfig { ServiceURL = Endpoint.ToString(), AuthenticationRegion = _options.Region });

    public string FunctionArn(string name) => $"arn:aws:lambda:{_options.Region}:{_options.AccountId}:function:{name}";

    /// <summary>Creates (or updates) a state machine from an ASL document, filling its <c>${…}</c> placeholders.</summary>
    public async Task<string> DeployStateMachineAsync(string name, string definition, IReadOnlyDictionary<string, string>? extraSubstitutions, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(Substitutions(), StringComparer.Ordinal);
        foreach (var (key, value) in extraSubstitutions ?? new Dictionary<string, string>())
        {
            values[key] = value;
        }

        var resolved = AslSubstitution.Apply(definition, values);
        var existing = await FindStateMachineAsync(name, cancellationToken);
        if (existing is not null)
        {
            await StepFunctions.UpdateStateMachineAsync(new UpdateStateMachineRequest(existing, resolved), cancellationToken);
            return existing;
        }

        var created = await StepFunctions.CreateStateMachineAsync(new CreateStateMachineRequest(name, resolved, StateMachineRoleArn), cancellationToken);
        return created.StateMachineArn;
    }

    /// <summary>Sets <see cref="Environment"/> on this process, so in-process handlers and the API resolve the same resources.</summary>
    public void ApplyToProcessEnvironment()
    {
        foreach (var (key, value) in Environment)
        {
            System.Environment.SetEnvironmentVariable(key, value);
        }
    }

    private Dictionary<string, string> Substitutions()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var handler in _handlerNames)
        {
            values[AslSubstitution.FunctionPlaceholder(handler)] = FunctionArn(handler);
        }

        foreach (var (variable, value) in Environment)
        {
            if (variable.StartsWith("LETHE_", StringComparison.Ordinal))
            {
                values[variable] = value;
            }
        }

        return values;
    }

    private async Task<string?> FindStateMachineAsync(string name, CancellationToken cancellationToken)
    {
        string? next = null;
        do
        {
            var page = await StepFunctions.ListStateMachinesAsync(new ListStateMachinesRequest(100, next), cancellationToken);
            var match = page.StateMachines.FirstOrDefault(m => m.Name == name);
            if (match is not null)
            {
                return match.StateMachineArn;
            }

            next = page.NextToken;
        }
        while (next is not null);

        return null;
    }

    private async Task EnableStepFunctionsExecutionAsync(CancellationToken cancellationToken)
    {
        using var content = new StringContent("{\"stepfunctions\":{\"execute_state_machine\":true}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(_moto.Endpoint, "moto-api/config"), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private async Task CreateResourcesAsync(CancellationToken cancellationToken)
    {
        using var dynamo = CreateDynamoDbClient();
        using var s3 = CreateS3Client();
        using var kms = CreateKmsClient();
        using var sqs = CreateSqsClient();
        var logs = new Lethe.Aws.Logs.CloudWatchLogsClient(_http, Endpoint, Region, _ => ValueTask.FromResult(Credentials));
        var names = await new ResourceBootstrapper(dynamo, s3, kms, sqs, _options.ResourcePrefix) { Sns = Sns, Logs = logs }.CreateAllAsync(cancellationToken);
        var environment = new Dictionary<string, string>(names, StringComparer.Ordinal)
        {
            ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
            ["AWS_REGION"] = _options.Region,
            ["AWS_DEFAULT_REGION"] = _options.Region,
            ["AWS_ACCESS_KEY_ID"] = AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
            ["LETHE_STAGE"] = "local",
            ["LETHE_RESOURCE_PREFIX"] = _options.ResourcePrefix,
            ["LETHE_TIME_SCALE"] = _options.TimeScale.ToString(CultureInfo.InvariantCulture),
            // moto updates an index in the write that changes its item: no index lag for a retention shred to wait out, only a
            // record write whose time was taken before its KEK and sealing (well under 2 s).
            [Lethe.Catalog.Variables.ShredQuietSeconds] = "2",
            // moto runs no bucket lifecycle: the archive moves a tagged file to its storage class itself.
            [Lethe.Catalog.Variables.ArchiveTransition] = "at-once",
        };
        Environment = environment;
    }

    private async Task DeployWorkflowsAsync(CancellationToken cancellationToken)
    {
        var root = _options.RepositoryRoot ?? RepositoryLayout.FindRoot();
        var folder = root is null ? null : Path.Combine(root, "workflows");
        if (folder is null || !Directory.Exists(folder))
        {
            return;
        }

        var arns = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*.asl.json").Order(StringComparer.Ordinal))
        {
            var workflow = Path.GetFileName(file)[..^".asl.json".Length];
            var arn = await DeployStateMachineAsync($"{_options.ResourcePrefix}-{workflow}", await File.ReadAllTextAsync(file, cancellationToken), null, cancellationToken);
            arns[$"LETHE_WORKFLOW_{workflow.ToUpperInvariant().Replace('-', '_')}"] = arn;
        }

        Environment = arns;
    }

    /// <summary>What AWS wires with event-source mappings: the Audit table's stream feeds the audit chainer its journal inserts.</summary>
    private void StartEventSources()
    {
        var dynamo = CreateDynamoDbClient();
        // Its own client with a short timeout: a stream call that hangs in the emulator must not stall the chain for minutes.
        var streamsHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var streams = new EventSources.DynamoStreamsClient(streamsHttp, Endpoint, Region, Credentials);
        var poller = EventSources.DynamoStreamPoller.Start(
            dynamo, streams, Environment[Lethe.Catalog.ResourceCatalog.Audit.NameVariable], Handlers.AuditChainer, AuditChainerFilter.Matches, _invoker,
            _loggers.CreateLogger("Lethe.LocalCloud.Streams"));
        _eventSources.Add(poller);
        _eventSources.Add(new DisposableClients(dynamo, streamsHttp));
        // What the ingest queue's event-source mapping does in AWS: batches to the ingest consumer, failures back to the queue.
        var sqs = CreateSqsClient();
        var ingestQueue = Environment[ResourceCatalog.IngestQueue.UrlVariable];
        var ingestQueueArn = $"arn:aws:sqs:{_options.Region}:{_options.AccountId}:{ingestQueue[(ingestQueue.LastIndexOf('/') + 1)..]}";
        _eventSources.Add(EventSources.SqsEventSourcePoller.Start(
            sqs, ingestQueue, ingestQueueArn, _options.Region, Handlers.IngestReceive, _options.IngestRetryDelay, _invoker, _loggers.CreateLogger("Lethe.LocalCloud.Queues")));
        _eventSources.Add(new DisposableClients(sqs));
        // What the status-change rule does in AWS: every job follows its execution (a stop, a failure) within a second or so.
        _eventSources.Add(EventSources.PeriodicInvoker.Start(
            Handlers.JobsReconcile, "{}"u8.ToArray(), _options.JobStatusInterval, _invoker, _loggers.CreateLogger("Lethe.LocalCloud.Jobs")));
        if (_options.RunDailySchedules)
        {
            // What EventBridge's daily rules do in AWS, on the scaled interval (tests leave these off and invoke them on demand).
            foreach (var daily in new[] { Handlers.SoftDeleteSweep, Handlers.RetentionSchedule, Handlers.RequestOverdueSchedule })
            {
                _eventSources.Add(EventSources.PeriodicInvoker.Start(
                    daily, "{}"u8.ToArray(), _options.DailyScheduleInterval, _invoker, _loggers.CreateLogger("Lethe.LocalCloud.Schedules")));
            }
        }
    }

    private sealed class DisposableClients(params IDisposable[] clients) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _eventSources)
        {
            await source.DisposeAsync();
        }

        await _moto.DisposeAsync();
        await _gateway.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>Finds the repository root (the folder holding Serverless.sln) from the working or base directory.</summary>
public static class RepositoryLayout
{
    public static string? FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
