using System.Text.RegularExpressions;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.StepFunctions;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>Creates one Lambda function: (construct name, description, handler name, environment).</summary>
public delegate Function FunctionFactory(string name, string description, string handler, Dictionary<string, string> environment);

/// <summary>
/// A workflows/*.asl.json file as deployed: one function per Task state (the ASL's <c>${Function_…}</c> placeholders name them,
/// so file and stack cannot drift), the Standard state machine built from the file with DefinitionSubstitutions, and for every
/// function exactly the actions its step performs (<see cref="Grant"/>; a cdk test holds that no data action is a wildcard).
/// </summary>
public abstract partial class AslWorkflow : Construct
{
    protected AslWorkflow(Construct scope, string id, StatefulStack state, string workflow, string definitionFile, IEnumerable<BucketDefinition> buckets, FunctionFactory createFunction)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(createFunction);
        State = state;
        Workflow = workflow;
        var definition = File.ReadAllText(definitionFile);
        StateMachineArn = ArnOf(state.Stage, workflow);
        FunctionEnvironment = Environment(state, buckets);
        FunctionEnvironment[Variables.Workflow(workflow)] = StateMachineArn;

        var substitutions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match placeholder in FunctionPlaceholder().Matches(definition))
        {
            var name = placeholder.Groups[0].Value[2..^1];
            var handler = Handlers.FromPlaceholder(name)
                ?? throw new InvalidOperationException($"workflows/{workflow}.asl.json names ${{{name}}}, which is no handler in Lethe.Catalog.Handlers.");
            if (Functions.ContainsKey(handler))
            {
                continue;
            }

            var function = Support(createFunction, handler, Describe(handler));
            substitutions[name] = function.FunctionArn;
        }

        var topic = state.Topics[ResourceCatalog.Notifications.LogicalName];
        if (definition.Contains($"${{{ResourceCatalog.Notifications.ArnVariable}}}", StringComparison.Ordinal))
        {
            substitutions[ResourceCatalog.Notifications.ArnVariable] = topic.TopicArn;
        }

        var logs = new LogGroup(this, "ExecutionLogs", new LogGroupProps { Retention = RetentionDays.THREE_MONTHS, RemovalPolicy = RemovalPolicy.DESTROY });
        StateMachine = new StateMachine(this, "StateMachine", new StateMachineProps
        {
            StateMachineName = StateMachineName(state.Stage, workflow),
            StateMachineType = StateMachineType.STANDARD,
            DefinitionBody = DefinitionBody.FromString(definition),
            DefinitionSubstitutions = substitutions,
            TracingEnabled = true,
            Logs = new LogOptions { Destination = logs, Level = LogLevel.ERROR, IncludeExecutionData = false },
        });
        foreach (var function in Functions.Values)
        {
            function.GrantInvoke(StateMachine);
        }

        // Only the notify workflow publishes: every other workflow sends its notices through it. The topic is encrypted under
        // the platform key, so its publisher needs the key; no other machine does.
        if (workflow == Handlers.NotifyWorkflow)
        {
            topic.GrantPublish(StateMachine);
            state.PlatformKey.Grant(StateMachine, "kms:GenerateDataKey", "kms:Decrypt");
        }
    }

    /// <summary>Fixed, so functions can be granted on it without a dependency cycle (the machine refers to them).</summary>
    public static string StateMachineName(string stage, string workflow) => $"lethe-{stage}-{workflow}";

    public static string ArnOf(string stage, string workflow) =>
        $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:stateMachine:{StateMachineName(stage, workflow)}";

    /// <summary>Every machine's ARN but its workflow (<see cref="Variables.WorkflowArnPrefix"/>).</summary>
    public static string ArnPrefix(string stage) =>
        $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:stateMachine:{StateMachineName(stage, string.Empty)}";

    protected StatefulStack State { get; }

    protected string Workflow { get; }

    protected Dictionary<string, string> FunctionEnvironment { get; }

    public Dictionary<string, Function> Functions { get; } = new(StringComparer.Ordinal);

    public StateMachine StateMachine { get; }

    public string StateMachineArn { get; }

    protected string ExecutionsArn =>
        $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:execution:{StateMachineName(State.Stage, Workflow)}:*";

    /// <summary>Lets a principal (the API) start, stop and describe this workflow's executions, and nothing else in Step Functions.</summary>
    public void GrantExecutions(IGrantable grantee)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        GrantStartAndDescribe(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StopExecution"], Resources = [ExecutionsArn] }));
    }

    /// <summary>What the admin console's execution view needs (GET …/requests/{id}/executions): read this workflow's executions and their history.</summary>
    public void GrantReadHistory(IGrantable grantee)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["states:DescribeExecution", "states:GetExecutionHistory"],
            Resources = [ExecutionsArn],
        }));
    }

    /// <summary>
    /// What a hand-over, a step that starts this workflow's job, or a sender of notices needs: starting an execution of this
    /// machine, nothing else.
    /// </summary>
    public void GrantStartExecution(IGrantable grantee)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StartExecution"], Resources = [StateMachineArn] }));
    }

    /// <summary>An alarm on this machine's failed executions (any in five minutes): for workflows nobody watches as a job.</summary>
    protected void AlarmOnFailedExecutions(string id, string description) =>
        _ = new Amazon.CDK.AWS.CloudWatch.Alarm(this, id, new Amazon.CDK.AWS.CloudWatch.AlarmProps
        {
            AlarmDescription = description,
            Metric = StateMachine.MetricFailed(new Amazon.CDK.AWS.CloudWatch.MetricOptions { Period = Duration.Minutes(5), Statistic = "Sum" }),
            Threshold = 1,
            EvaluationPeriods = 1,
            ComparisonOperator = Amazon.CDK.AWS.CloudWatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = Amazon.CDK.AWS.CloudWatch.TreatMissingData.NOT_BREACHING,
        });

    /// <summary>Start a job's execution that never started, and read an execution's status (the API, schedules that start jobs).</summary>
    public void GrantStartAndDescribe(IGrantable grantee)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StartExecution"], Resources = [StateMachineArn] }));
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:DescribeExecution"], Resources = [ExecutionsArn] }));
    }

    /// <summary>
    /// What reconciliation needs: <see cref="GrantStartAndDescribe"/> (a job with no execution ARN yet is looked up on its own),
    /// and this machine's ended executions listed (every other open job, in a few calls).
    /// </summary>
    public void GrantReconcile(IGrantable grantee)
    {
        GrantStartAndDescribe(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:ListExecutions"], Resources = [StateMachineArn] }));
    }

    /// <summary>Creates a function of this workflow (a Task's, or one that serves it) with the grants of its step.</summary>
    protected Function Support(FunctionFactory createFunction, string handler, string description)
    {
        ArgumentNullException.ThrowIfNull(createFunction);
        var function = createFunction(Pascal(handler), description, handler, new Dictionary<string, string>(FunctionEnvironment) { ["POWERTOOLS_SERVICE_NAME"] = $"lethe-{handler}" });
        State.PlatformKey.GrantEncryptDecrypt(function);
        // Every step reads its job and moves it with conditional updates (phase, counters, page marks).
        GrantTable(function, Table(ResourceCatalog.Jobs), "dynamodb:GetItem", "dynamodb:UpdateItem");
        // Every step journals what it did; the journal is append-only (PutItem with a condition, never update or delete).
        GrantTable(function, Table(ResourceCatalog.Audit), "dynamodb:PutItem");
        Grant(handler, function);
        Functions[handler] = function;
        return function;
    }

    /// <summary>The actions of one step beyond the job and the journal; unknown handlers must throw (a new step gets its grants written).</summary>
    protected abstract void Grant(string handler, Function target);

    protected abstract string Describe(string handler);

    protected Table Table(TableDefinition table) => State.Tables[table.LogicalName];

    protected Bucket Bucket(BucketDefinition bucket) => State.Buckets[bucket.LogicalName];

    protected static void GrantTable(Function function, Table table, params string[] actions) =>
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = actions, Resources = [table.TableArn, $"{table.TableArn}/index/*"] }));

    /// <summary>
    /// The subject's erasure lock, which a job's transactions take (retry, redrive), end (completion, failure, stop) or check
    /// (writes for a subject): an item of the Jobs table.
    /// </summary>
    protected void GrantErasureLock(Function function, params string[] actions) => GrantTable(function, Table(ResourceCatalog.Jobs), actions);

    /// <summary>
    /// What issuing a certificate takes: the KMS signing key, a write-once object in the Object-Lock certificates bucket (read
    /// first, so a replay finds the one issued), and the audit chain head it names.
    /// </summary>
    protected void GrantCertificateSigning(Function function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var certificates = Bucket(ResourceCatalog.Certificates);
        certificates.GrantPut(function);
        certificates.GrantRead(function);
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["kms:Sign", "kms:GetPublicKey"], Resources = [State.SigningKey.KeyArn] }));
        GrantTable(function, Table(ResourceCatalog.Audit), "dynamodb:GetItem");
    }

    /// <summary>
    /// What a purge does to stored objects: lists a key's versions and deletes every one, in the data bucket, the exports
    /// bucket (export volumes are inventory items of their subject too), and the ingest and quarantine buckets (uploads).
    /// </summary>
    protected void GrantObjectPurge(Function function)
    {
        ArgumentNullException.ThrowIfNull(function);
        // Uploads are items of their subject too: an object in the ingest bucket, or in quarantine once moved there.
        foreach (var bucket in new[] { Bucket(ResourceCatalog.Data), Bucket(ResourceCatalog.Exports), Bucket(ResourceCatalog.Ingest), Bucket(ResourceCatalog.Quarantine) })
        {
            function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions", "s3:ListBucket"], Resources = [bucket.BucketArn] }));
            function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resources = [bucket.ArnForObjects("*")] }));
        }
    }

    /// <summary>
    /// The data bucket's replica, when context <c>lethe:dataReplicaBucket</c> names one (and <c>lethe:dataReplicaRegion</c> its
    /// region): its name in the function's environment, and listing and deleting its versions.
    /// </summary>
    protected void GrantReplicaPurge(Function function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (Node.TryGetContext(BackupScrubWorkflow.ReplicaBucketContext) is not string { Length: > 0 } replica)
        {
            return;
        }

        function.AddEnvironment(Variables.DataReplicaBucket, replica);
        if (Node.TryGetContext(BackupScrubWorkflow.ReplicaRegionContext) is string { Length: > 0 } region)
        {
            function.AddEnvironment(Variables.DataReplicaRegion, region);
        }

        var arn = $"arn:{Amazon.CDK.Aws.PARTITION}:s3:::{replica}";
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions", "s3:ListBucket"], Resources = [arn] }));
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resources = [$"{arn}/*"] }));
    }

    // Tenant keys are used through their own key policies (TenantKeyPolicy names this stage's shred and package roles), never
    // through IAM: no function holds a kms action on key/*.

    private static Dictionary<string, string> Environment(StatefulStack state, IEnumerable<BucketDefinition> buckets)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LETHE_STAGE"] = "aws",
            ["LETHE_RESOURCE_PREFIX"] = $"lethe-{state.Stage}",
            [ResourceCatalog.SigningKey.IdVariable] = state.SigningKey.KeyArn,
            [ResourceCatalog.Notifications.ArnVariable] = state.Topics[ResourceCatalog.Notifications.LogicalName].TopicArn,
        };
        foreach (var table in ResourceCatalog.Tables)
        {
            variables[table.NameVariable] = state.Tables[table.LogicalName].TableName;
        }

        // Every workflow's ARN (fixed names, so no dependency cycle): the reconciler and the daily schedule start jobs of any type.
        variables[Variables.WorkflowArnPrefix] = ArnPrefix(state.Stage);

        // Every bucket's name (a name is no permission: the grants are the step's own). The composition of the steps builds
        // every workflow's ports on first use, so a function that lacked one name would fail at its first invocation.
        foreach (var bucket in ResourceCatalog.Buckets.Concat(buckets).DistinctBy(b => b.LogicalName))
        {
            variables[bucket.NameVariable] = state.Buckets[bucket.LogicalName].BucketName;
        }

        return variables;
    }

    private static string Pascal(string handler) =>
        string.Concat(handler.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    [GeneratedRegex(@"\$\{Function_[a-z0-9_]+\}")]
    private static partial Regex FunctionPlaceholder();
}
