using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Lambda.EventSources;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

public sealed record StatelessSettings(string FunctionsAsset, string ApiAsset, string WebAdapterLayerArn, string JwtIssuer, string JwtAudience, string JwksUrl, string WorkflowsFolder);

/// <summary>
/// Code: the one-binary Lambda functions (Native AOT, <c>provided.al2023</c>, <c>_HANDLER</c> per function) and the API
/// (Kestrel behind the Lambda Web Adapter, fronted by an HTTP API). Each function gets exactly the grants its step needs.
/// </summary>
public sealed class StatelessStack : Stack
{
    public StatelessStack(Construct scope, string id, StatefulStack state, StatelessSettings settings, IStackProps? props = null) : base(scope, id, props)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        Ping = LetheFunction("Ping", "Post-deployment smoke check: proves the binary starts and the handler registry resolves.",
            handler: Handlers.Ping, Code.FromAsset(settings.FunctionsAsset), memoryMb: 256, Duration.Seconds(10), new Dictionary<string, string>
            {
                ["POWERTOOLS_SERVICE_NAME"] = "lethe-ping",
                ["LETHE_STAGE"] = "aws",
            });

        Api = LetheFunction("Api", "The Lethe HTTP API (ASP.NET Core, Native AOT) behind the AWS Lambda Web Adapter.",
            handler: "bootstrap", Code.FromAsset(settings.ApiAsset), memoryMb: 512, Duration.Seconds(Variables.ApiTimeoutSeconds), new Dictionary<string, string>
            {
                ["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/bootstrap",
                ["AWS_LWA_PORT"] = "8080",
                ["AWS_LWA_READINESS_CHECK_PATH"] = "/health",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:8080",
                ["POWERTOOLS_SERVICE_NAME"] = "lethe-api",
                ["Lethe__Stage"] = "aws",
                ["Lethe__Auth__Mode"] = "Jwks",
                ["Lethe__Auth__Issuer"] = settings.JwtIssuer,
                ["Lethe__Auth__Audience"] = settings.JwtAudience,
                ["Lethe__Auth__JwksUrl"] = settings.JwksUrl,
                ["LETHE_RESOURCE_PREFIX"] = $"lethe-{state.Stage}",
                [ResourceCatalog.Tenants.NameVariable] = state.Tables[ResourceCatalog.Tenants.LogicalName].TableName,
                [ResourceCatalog.Audit.NameVariable] = state.Tables[ResourceCatalog.Audit.LogicalName].TableName,
                [ResourceCatalog.Keys.NameVariable] = state.Tables[ResourceCatalog.Keys.LogicalName].TableName,
                [ResourceCatalog.Records.NameVariable] = state.Tables[ResourceCatalog.Records.LogicalName].TableName,
                [ResourceCatalog.Inventory.NameVariable] = state.Tables[ResourceCatalog.Inventory.LogicalName].TableName,
                [ResourceCatalog.AuditArchive.NameVariable] = state.Buckets[ResourceCatalog.AuditArchive.LogicalName].BucketName,
                [ResourceCatalog.SigningKey.IdVariable] = state.SigningKey.KeyArn,
                [ResourceCatalog.Jobs.NameVariable] = state.Tables[ResourceCatalog.Jobs.LogicalName].TableName,
                [ResourceCatalog.Certificates.NameVariable] = state.Buckets[ResourceCatalog.Certificates.LogicalName].BucketName,
                [Variables.Workflow("deletion")] = AslWorkflow.ArnOf(state.Stage, "deletion"),
                [Variables.Workflow("export")] = AslWorkflow.ArnOf(state.Stage, "export"),
                [Variables.Workflow("retention-sweep")] = AslWorkflow.ArnOf(state.Stage, "retention-sweep"),
                [ResourceCatalog.Exports.NameVariable] = state.Buckets[ResourceCatalog.Exports.LogicalName].BucketName,
            },
            layers: [LayerVersion.FromLayerVersionArn(this, "WebAdapterLayer", settings.WebAdapterLayerArn)]);
        // The API's DynamoDB actions, table by table: exactly what its code calls (a cdk test holds the list).
        // Tenants: profiles (conditional on their version) and legal holds (the only items it deletes) with each subject's hold
        // marker (updated in the hold's own transaction).
        // ConditionCheckItem: a rectification and a single delete check the subject's hold marker in their own transaction.
        GrantTable(Api, state, ResourceCatalog.Tenants, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem");
        // Keys: creates KEKs (never overwrites: conditional puts) and the subject directory, reads both, and checks in a record
        // write's transaction that its KEK is still the stored one; only the shred step deletes.
        GrantTable(Api, state, ResourceCatalog.Keys, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem");
        // Records and inventory: writes new items, restores soft-deleted ones; never deletes a record or an inventory item.
        GrantTable(Api, state, ResourceCatalog.Records, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem");
        GrantTable(Api, state, ResourceCatalog.Inventory, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem");
        // The journal is append-only for the API: it may add and read events, never change or remove one.
        var audit = state.Tables[ResourceCatalog.Audit.LogicalName];
        GrantTable(Api, state, ResourceCatalog.Audit, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query");

        AuditChainer = LetheFunction("AuditChainer", "Links each tenant's new audit journal events into its hash chain (Audit table stream).",
            handler: Handlers.AuditChainer, Code.FromAsset(settings.FunctionsAsset), memoryMb: 256, Duration.Seconds(60), new Dictionary<string, string>
            {
                ["POWERTOOLS_SERVICE_NAME"] = "lethe-audit-chainer",
                ["LETHE_STAGE"] = "aws",
                [ResourceCatalog.Audit.NameVariable] = audit.TableName,
            });
        // The chainer reads the head, the pending index and a batch's own events (BatchGetItem), writes chain items and the head,
        // and marks journal events chained, in transactions of Puts and Updates: never deletes.
        AuditChainer.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
            Resources = [audit.TableArn, $"{audit.TableArn}/index/*"],
        }));
        state.PlatformKey.GrantEncryptDecrypt(AuditChainer);

        // Anchors: the API on demand (POST …/audit/anchors), the schedule daily; both sign and write, neither deletes.
        var archive = state.Buckets[ResourceCatalog.AuditArchive.LogicalName];
        AuditAnchor = LetheFunction("AuditAnchor", "Signs every tenant's audit chain head into the Object-Lock audit archive (daily).",
            handler: Handlers.AuditAnchor, Code.FromAsset(settings.FunctionsAsset), memoryMb: 256, Duration.Minutes(5), new Dictionary<string, string>
            {
                ["POWERTOOLS_SERVICE_NAME"] = "lethe-audit-anchor",
                ["LETHE_STAGE"] = "aws",
                [ResourceCatalog.Audit.NameVariable] = audit.TableName,
                [ResourceCatalog.Tenants.NameVariable] = state.Tables[ResourceCatalog.Tenants.LogicalName].TableName,
                [ResourceCatalog.AuditArchive.NameVariable] = archive.BucketName,
                [ResourceCatalog.SigningKey.IdVariable] = state.SigningKey.KeyArn,
            });
        foreach (var signer in new[] { Api, AuditAnchor })
        {
            archive.GrantPut(signer);
            archive.GrantRead(signer);
            signer.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["kms:Sign", "kms:GetPublicKey"],
                Resources = [state.SigningKey.KeyArn],
            }));
        }

        state.PlatformKey.GrantEncryptDecrypt(AuditAnchor);
        // Every tenant id (a scan of profiles), each chain head and the events after the latest anchor.
        GrantTable(AuditAnchor, state, ResourceCatalog.Tenants, "dynamodb:Scan");
        AuditAnchor.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["dynamodb:GetItem", "dynamodb:Query"],
            Resources = [audit.TableArn],
        }));
        new Rule(this, "DailyAuditAnchor", new RuleProps
        {
            Description = "Signs each tenant's audit chain head once a day.",
            Schedule = Schedule.Cron(new CronOptions { Hour = "2", Minute = "15" }),
            Targets = [new LambdaFunction(AuditAnchor, new LambdaFunctionProps { RetryAttempts = 3 })],
        });
        AuditChainer.AddEventSource(new DynamoEventSource(audit, new DynamoEventSourceProps
        {
            StartingPosition = StartingPosition.TRIM_HORIZON,
            BatchSize = 100,
            // Journal inserts only: the chainer's own writes come back on this stream and need no invocation.
            Filters = [new Dictionary<string, object> { ["pattern"] = AuditChainerPattern() }],
            RetryAttempts = 10,
            BisectBatchOnError = false,
            ParallelizationFactor = 1,
        }));
        state.PlatformKey.GrantEncryptDecrypt(Api);
        GrantTenantKeyCreation(Api, state.Stage);

        var functionsCode = Code.FromAsset(settings.FunctionsAsset);
        Function WorkflowFunction(string name, string description, string handler, Dictionary<string, string> environment) =>
            LetheFunction(name, description, handler, functionsCode, memoryMb: 512, Duration.Minutes(15), environment);
        Export = new ExportWorkflow(this, "Export", state, Path.Combine(settings.WorkflowsFolder, "export.asl.json"), WorkflowFunction);
        RetentionSweep = new RetentionSweepWorkflow(this, "RetentionSweep", state, Path.Combine(settings.WorkflowsFolder, "retention-sweep.asl.json"), WorkflowFunction);
        ArchiveRetrieval = new ArchiveRetrievalWorkflow(this, "ArchiveRetrieval", state, Path.Combine(settings.WorkflowsFolder, "archive-retrieval.asl.json"), WorkflowFunction);
        BackupScrub = new BackupScrubWorkflow(this, "BackupScrub", state, Path.Combine(settings.WorkflowsFolder, "backup-scrub.asl.json"), WorkflowFunction);
        ErasureReplay = new ErasureReplayWorkflow(this, "ErasureReplay", state, Path.Combine(settings.WorkflowsFolder, "erasure-replay.asl.json"), WorkflowFunction);
        KeyRotation = new KeyRotationWorkflow(this, "KeyRotation", state, Path.Combine(settings.WorkflowsFolder, "key-rotation.asl.json"), WorkflowFunction);
        TenantOffboarding = new TenantOffboardingWorkflow(this, "TenantOffboarding", state, Path.Combine(settings.WorkflowsFolder, "tenant-offboarding.asl.json"), WorkflowFunction);
        Deletion = new DeletionWorkflow(
            this, "Deletion", state, Path.Combine(settings.WorkflowsFolder, "deletion.asl.json"), WorkflowFunction,
            [Export.StateMachineArn, RetentionSweep.StateMachineArn, ArchiveRetrieval.StateMachineArn, BackupScrub.StateMachineArn, ErasureReplay.StateMachineArn, KeyRotation.StateMachineArn, TenantOffboarding.StateMachineArn]);
        Ingest = new IngestWorkflow(this, "Ingest", state, Path.Combine(settings.WorkflowsFolder, "ingest.asl.json"), WorkflowFunction);
        IngestReceive = IngestReceiver(state, functionsCode, Ingest);
        // Notices (DESIGN.md, Fan-out and approval): whoever sends one may start the notify workflow, and nothing else does.
        Notify = new NotificationWorkflow(this, "Notify", state, Path.Combine(settings.WorkflowsFolder, "notify.asl.json"), WorkflowFunction);
        Function[] notifiers =
        [
            Api, Deletion.Functions[Handlers.JobStatus], Deletion.Functions[Handlers.JobsReconcile], Deletion.Functions[Handlers.RequestOverdueSchedule],
            Deletion.Functions[Handlers.ErasureComplete], Export.Functions[Handlers.ExportComplete], RetentionSweep.Functions[Handlers.RetentionComplete],
            ArchiveRetrieval.Functions[Handlers.RetrievalMakeReadable], TenantOffboarding.Functions[Handlers.OffboardingTerminate],
            Deletion.Functions[Handlers.ErasureRecordFailure], Export.Functions[Handlers.ExportRecordFailure], RetentionSweep.Functions[Handlers.RetentionRecordFailure],
            ArchiveRetrieval.Functions[Handlers.RetrievalRecordFailure], BackupScrub.Functions[Handlers.ScrubRecordFailure], ErasureReplay.Functions[Handlers.ReplayRecordFailure],
            KeyRotation.Functions[Handlers.RotationRecordFailure], TenantOffboarding.Functions[Handlers.OffboardingRecordFailure],
            Ingest.Functions[Handlers.IngestRequestReview], Ingest.Functions[Handlers.IngestDeliver], Ingest.Functions[Handlers.IngestRecordFailure], IngestReceive,
        ];
        foreach (var notifier in notifiers)
        {
            Notify.GrantStartExecution(notifier);
        }

        Api.AddEnvironment(Variables.Workflow(Handlers.NotifyWorkflow), Notify.StateMachineArn);
        EmailSubscriptions = new EmailSubscriptionsWorkflow(this, "EmailSubscriptions", state, Path.Combine(settings.WorkflowsFolder, "email-subscriptions.asl.json"), WorkflowFunction);
        EmailSubscriptions.GrantStartExecution(Api);
        // An offboarding's termination removes the tenant's subscriptions with its addresses.
        EmailSubscriptions.GrantStartExecution(TenantOffboarding.Functions[Handlers.OffboardingTerminate]);
        Api.AddEnvironment(Variables.Workflow(Handlers.EmailSubscriptionsWorkflow), EmailSubscriptions.StateMachineArn);
        // A certified erasure and a retention run that purged something start their backup scrub.
        BackupScrub.GrantStart(Deletion.Functions[Handlers.ErasureStartBackupScrub]);
        BackupScrub.GrantStart(RetentionSweep.Functions[Handlers.RetentionStartBackupScrub]);
        BackupScrub.GrantStart(TenantOffboarding.Functions[Handlers.OffboardingTerminate]);
        Export.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        RetentionSweep.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        ArchiveRetrieval.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        BackupScrub.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        ErasureReplay.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        KeyRotation.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        TenantOffboarding.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        Ingest.GrantReconcile(Deletion.Functions[Handlers.JobsReconcile]);
        // A connector's answer resumes the erasure waiting on its task token, a review the ingest waiting on its own (SendTaskSuccess has no resource type in IAM: "*").
        Api.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:SendTaskSuccess"], Resources = ["*"] }));
        // The API submits, cancels and reads jobs (the erasure lock: taken, ended, and checked by every write for a subject).
        GrantTable(Api, state, ResourceCatalog.Jobs, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem");
        // Tenant keys are used by the API, the shred step, the package step and the retention archive (SSE-KMS writes of archived
        // records) through each key's own policy (TenantKeyPolicy),
        // written when the API creates the key: these roles, this account's administrators, the buckets S3 may use it for.
        Api.AddEnvironment(Variables.TenantKeyAdministrator, $"arn:{Amazon.CDK.Aws.PARTITION}:iam::{Amazon.CDK.Aws.ACCOUNT_ID}:root");
        // The purge page opens the records an erasure masks (RecordMasking) before it purges them.
        Function[] tenantKeyUsers =
        [
            Api, Deletion.Functions[Handlers.ErasurePurgePage], Deletion.Functions[Handlers.ErasureShred], Export.Functions[Handlers.ExportPackage],
            Deletion.Functions[Handlers.ErasureCallConnector], Export.Functions[Handlers.ExportCallConnector],
            TenantOffboarding.Functions[Handlers.OffboardingExportPage],
            .. IngestWorkflow.RecordWriters.Select(h => Ingest.Functions[h]),
        ];
        Api.AddEnvironment(Variables.TenantKeyUsers, string.Join(",", tenantKeyUsers.Select(f => f.Role!.RoleArn)));
        // The rotation's rewrap step only ReEncrypts wrapped keys between tenant keys under the tenant's context: no data key use.
        var rewrap = KeyRotation.Functions[Handlers.RotationRewrapPage];
        Api.AddEnvironment(Variables.TenantKeyRewrappers, rewrap.Role!.RoleArn);
        rewrap.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:*:*:key/*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringNotEquals"] = new Dictionary<string, object> { ["aws:ResourceAccount"] = Amazon.CDK.Aws.ACCOUNT_ID },
                ["Null"] = new Dictionary<string, object> { ["kms:EncryptionContext:tenant"] = "false" },
            },
        }));
        // Only the rotation's retire step and the offboarding's retire-keys step may schedule a tenant key's deletion (the key
        // policy's retirer statement).
        Api.AddEnvironment(Variables.TenantKeyRetirers, string.Join(",",
            KeyRotation.Functions[Handlers.RotationRetire].Role!.RoleArn, TenantOffboarding.Functions[Handlers.OffboardingRetireKeys].Role!.RoleArn));
        // The retention archive (archived objects written under the tenant key) and a retrieval (one read back) use the key
        // only through S3: named where objects are, never where a subject's KEK is unwrapped.
        var tenantKeyObjectUsers = new[] { RetentionSweep.Functions[Handlers.RetentionPurgePage], ArchiveRetrieval.Functions[Handlers.RetrievalMakeReadable] };
        Api.AddEnvironment(Variables.TenantKeyObjectUsers, string.Join(",", tenantKeyObjectUsers.Select(f => f.Role!.RoleArn)));
        Api.AddEnvironment(Variables.TenantKeyBuckets, string.Join(",",
            state.Buckets[ResourceCatalog.Data.LogicalName].BucketArn, state.Buckets[ResourceCatalog.Exports.LogicalName].BucketArn));
        foreach (var keyUser in tenantKeyUsers)
        {
            GrantForeignTenantKeys(keyUser);
        }

        foreach (var objectUser in tenantKeyObjectUsers)
        {
            GrantForeignTenantKeysThroughS3(objectUser, [state.Buckets[ResourceCatalog.Data.LogicalName].BucketArn, state.Buckets[ResourceCatalog.Exports.LogicalName].BucketArn]);
        }

        // What a BYOK tenant's key policy must name (README, Deploying).
        _ = new CfnOutput(this, "TenantKeyUserRoles", new CfnOutputProps
        {
            Description = "The roles a BYOK key policy must allow kms:GenerateDataKey, kms:Decrypt and kms:DescribeKey.",
            Value = string.Join(",", tenantKeyUsers.Concat(tenantKeyObjectUsers).Select(f => f.Role!.RoleArn)),
        });
        _ = new CfnOutput(this, "TenantKeyRewrapperRole", new CfnOutputProps
        {
            Description = "The role a BYOK key policy must allow kms:ReEncryptFrom and kms:ReEncryptTo (under the tenant's encryption context) for key rotation.",
            Value = rewrap.Role!.RoleArn,
        });
        state.Buckets[ResourceCatalog.Certificates.LogicalName].GrantRead(Api);
        Deletion.GrantExecutions(Api);
        Export.GrantExecutions(Api);
        RetentionSweep.GrantExecutions(Api);
        ArchiveRetrieval.GrantExecutions(Api);
        // The API retries a failed scrub (POST …/requests/{id}/retry); nobody stops one.
        BackupScrub.GrantStartAndDescribe(Api);
        // A platform admin starts a replay of a tenant's erasures after a restore; nobody stops one halfway.
        ErasureReplay.GrantStartAndDescribe(Api);
        // A rotation and an offboarding are started by the API, and cancelled (their execution stopped) only before they begin.
        KeyRotation.GrantExecutions(Api);
        TenantOffboarding.GrantExecutions(Api);
        // The console shows every request's executions with their state history (GET …/requests/{id}/executions).
        foreach (var workflow in new AslWorkflow[] { Deletion, Export, RetentionSweep, ArchiveRetrieval, BackupScrub, ErasureReplay, KeyRotation, TenantOffboarding, Ingest })
        {
            workflow.GrantReadHistory(Api);
        }

        // The API presigns download URLs: a URL carries its signer's rights, so the API may read exports (and nothing writes them but the package step).
        state.Buckets[ResourceCatalog.Exports.LogicalName].GrantRead(Api);
        // Denied and refused requests go to the security log (12 months), a stream per API instance.
        var securityLog = state.LogGroups[ResourceCatalog.SecurityLog.LogicalName];
        Api.AddEnvironment(ResourceCatalog.SecurityLog.NameVariable, securityLog.LogGroupName);
        Api.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resources = [securityLog.LogGroupArn],
        }));
        // A retrieved archived file is downloaded through a URL the API presigns (GET …/items/{id}/download, only inside the
        // file's readable window): the API may read the data bucket's objects, and nothing more of it.
        Api.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetObject"],
            Resources = [state.Buckets[ResourceCatalog.Data.LogicalName].ArnForObjects("*")],
            Conditions = new Dictionary<string, object> { ["StringLike"] = new Dictionary<string, object> { ["s3:ExistingObjectTag/lethe:tier"] = "*" } },
        }));

        // An upload is a PUT the API presigns (POST …/uploads): the URL acts with the API's role, for the ingest bucket's objects
        // only (its key under the tenant's prefix), and nothing else of that bucket.
        Api.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:PutObject"],
            Resources = [state.Buckets[ResourceCatalog.Ingest.LogicalName].ArnForObjects("*/upl_*")],
        }));

        HttpApi = new HttpApi(this, "HttpApi", new HttpApiProps
        {
            Description = "Lethe public API (v1)",
            DefaultIntegration = new HttpLambdaIntegration("ApiIntegration", Api),
        });
        _ = new CfnOutput(this, "ApiUrl", new CfnOutputProps { Value = HttpApi.Url ?? string.Empty });
    }

    public Function Ping { get; }

    public DeletionWorkflow Deletion { get; }

    public ExportWorkflow Export { get; }

    public RetentionSweepWorkflow RetentionSweep { get; }

    public ArchiveRetrievalWorkflow ArchiveRetrieval { get; }

    public BackupScrubWorkflow BackupScrub { get; }

    public ErasureReplayWorkflow ErasureReplay { get; }

    public KeyRotationWorkflow KeyRotation { get; }

    public TenantOffboardingWorkflow TenantOffboarding { get; }

    public NotificationWorkflow Notify { get; }

    public IngestWorkflow Ingest { get; }

    /// <summary>The ingest queue's consumer (S3 ObjectCreated → SQS → here), which starts the ingest workflow.</summary>
    public Function IngestReceive { get; }

    public EmailSubscriptionsWorkflow EmailSubscriptions { get; }

    public Function AuditChainer { get; }

    public Function AuditAnchor { get; }

    /// <summary>
    /// The ingest queue's consumer: batches of 10 with partial failures (<c>ReportBatchItemFailures</c>), a timeout inside the
    /// queue's 6-minute visibility timeout; it reads and moves uploads, scans (GuardDuty's tag) and quarantines objects, creates
    /// the ingest job (with its idempotency key) and starts its workflow. An alarm fires on any message in the dead-letter queue.
    /// </summary>
    private Function IngestReceiver(StatefulStack state, Code code, IngestWorkflow ingest)
    {
        var queue = state.Queues[ResourceCatalog.IngestQueue.LogicalName];
        var environment = new Dictionary<string, string>
        {
            ["POWERTOOLS_SERVICE_NAME"] = "lethe-ingest-receive",
            ["LETHE_STAGE"] = "aws",
            ["LETHE_RESOURCE_PREFIX"] = $"lethe-{state.Stage}",
            [Variables.MalwareScanner] = "guardduty",
            [ResourceCatalog.SigningKey.IdVariable] = state.SigningKey.KeyArn,
            [ResourceCatalog.Notifications.ArnVariable] = state.Topics[ResourceCatalog.Notifications.LogicalName].TopicArn,
        };
        foreach (var table in ResourceCatalog.Tables)
        {
            environment[table.NameVariable] = state.Tables[table.LogicalName].TableName;
        }

        foreach (var bucket in ResourceCatalog.Buckets)
        {
            environment[bucket.NameVariable] = state.Buckets[bucket.LogicalName].BucketName;
        }

        environment[Variables.WorkflowArnPrefix] = AslWorkflow.ArnPrefix(state.Stage);

        var receiver = LetheFunction("IngestReceive", "Ingest: matches each landed object to its upload, scans it, quarantines or starts the ingest workflow (SQS batches).",
            handler: Handlers.IngestReceive, code, memoryMb: 512, Duration.Seconds(ResourceCatalog.IngestQueue.VisibilityTimeoutSeconds - 60), environment);
        state.PlatformKey.GrantEncryptDecrypt(receiver);
        var records = state.Tables[ResourceCatalog.Records.LogicalName];
        var inventory = state.Tables[ResourceCatalog.Inventory.LogicalName];
        GrantTable(receiver, state, ResourceCatalog.Records, "dynamodb:BatchGetItem", "dynamodb:UpdateItem");
        GrantTable(receiver, state, ResourceCatalog.Inventory, "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem");
        // The ingest job with its idempotency reservation (a redelivered event finds the job it started), its execution's ARN.
        GrantTable(receiver, state, ResourceCatalog.Jobs, "dynamodb:GetItem", "dynamodb:UpdateItem");
        receiver.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["dynamodb:PutItem"], Resources = [state.Tables[ResourceCatalog.Jobs.LogicalName].TableArn] }));
        GrantTable(receiver, state, ResourceCatalog.Audit, "dynamodb:PutItem");
        var landed = state.Buckets[ResourceCatalog.Ingest.LogicalName].ArnForObjects("*");
        receiver.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:GetObjectTagging", "s3:DeleteObject"], Resources = [landed] }));
        receiver.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging"],
            Resources = [state.Buckets[ResourceCatalog.Quarantine.LogicalName].ArnForObjects("*")],
        }));
        ingest.GrantStartExecution(receiver);
        receiver.AddEventSource(new SqsEventSource(queue, new SqsEventSourceProps { BatchSize = 10, ReportBatchItemFailures = true }));
        _ = new Amazon.CDK.AWS.CloudWatch.Alarm(this, "IngestDeadLetters", new Amazon.CDK.AWS.CloudWatch.AlarmProps
        {
            AlarmDescription = "An S3 event of the ingest bucket failed 5 times and is in the ingest dead-letter queue (its upload is failed): see the README's redrive steps.",
            Metric = state.Queues[ResourceCatalog.IngestQueue.DeadLetterLogicalName].MetricApproximateNumberOfMessagesVisible(
                new Amazon.CDK.AWS.CloudWatch.MetricOptions { Period = Duration.Minutes(5), Statistic = "Maximum" }),
            Threshold = 1,
            EvaluationPeriods = 1,
            ComparisonOperator = Amazon.CDK.AWS.CloudWatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = Amazon.CDK.AWS.CloudWatch.TreatMissingData.NOT_BREACHING,
        });
        return receiver;
    }

    /// <summary>
    /// Tenant keys are created at run time, with their key policy in the same call and no tags, so the API needs only
    /// kms:CreateKey (which has no resource to name), its own aliases, and kms:ListAliases (a BYOK key must not be another
    /// tenant's). It holds no kms:TagResource and no tenant-key action at all: use of a tenant key comes from the key's policy.
    /// </summary>
    private static void GrantTenantKeyCreation(Function function, string stage)
    {
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["kms:CreateKey", "kms:ListAliases"], Resources = ["*"] }));
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:CreateAlias", "kms:DescribeKey"],
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:alias/lethe-{stage}-tenant-*"],
        }));
    }

    /// <summary>The event filter pattern of <see cref="AuditChainerFilter"/> (what FilterCriteria.Filter writes, as plain JSON for jsii).</summary>
    private static string AuditChainerPattern() => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["eventName"] = new[] { AuditChainerFilter.EventName },
        ["dynamodb"] = new Dictionary<string, object>
        {
            ["Keys"] = new Dictionary<string, object>
            {
                [AuditChainerFilter.SortKeyName] = new Dictionary<string, object> { ["S"] = new[] { new Dictionary<string, string> { ["prefix"] = AuditChainerFilter.SortKeyPrefix } } },
            },
        },
    });

    /// <summary>
    /// The IAM side of a BYOK key of another account for a role that uses it only through S3 (kms:ViaService), for objects of
    /// Lethe's own buckets only.
    /// </summary>
    private static void GrantForeignTenantKeysThroughS3(Function function, IReadOnlyList<string> buckets)
    {
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:GenerateDataKey", "kms:Decrypt"],
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:*:*:key/*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringNotEquals"] = new Dictionary<string, object> { ["aws:ResourceAccount"] = Amazon.CDK.Aws.ACCOUNT_ID },
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"s3.{Amazon.CDK.Aws.REGION}.amazonaws.com" },
                ["StringLike"] = new Dictionary<string, object> { ["kms:EncryptionContext:aws:s3:arn"] = buckets.SelectMany(b => new[] { b, $"{b}/*" }).ToArray() },
            },
        }));
    }

    /// <summary>
    /// A BYOK key in the tenant's own AWS account needs an allow on both sides: its key policy (the tenant's) and the caller's
    /// IAM. This grants the IAM side for keys of other accounts only (aws:ResourceAccount is never this account), always with
    /// a tenant encryption context, so no key of Lethe's own account becomes usable through IAM.
    /// </summary>
    private static void GrantForeignTenantKeys(Function function)
    {
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:GenerateDataKey", "kms:Decrypt"],
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:*:*:key/*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringNotEquals"] = new Dictionary<string, object> { ["aws:ResourceAccount"] = Amazon.CDK.Aws.ACCOUNT_ID },
                ["Null"] = new Dictionary<string, object> { ["kms:EncryptionContext:tenant"] = "false" },
            },
        }));
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:DescribeKey"],
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:*:*:key/*"],
            Conditions = new Dictionary<string, object> { ["StringNotEquals"] = new Dictionary<string, object> { ["aws:ResourceAccount"] = Amazon.CDK.Aws.ACCOUNT_ID } },
        }));
    }

    private static void GrantTable(Function function, StatefulStack state, TableDefinition table, params string[] actions)
    {
        var arn = state.Tables[table.LogicalName].TableArn;
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = actions, Resources = [arn, $"{arn}/index/*"] }));
    }

    /// <summary>
    /// Every Lethe function: provided.al2023 on x86_64, X-Ray tracing, and application logs kept 90 days (the policy figure) in
    /// an explicit log group, so no log-retention custom resource is needed.
    /// </summary>
    private Function LetheFunction(
        string name, string description, string handler, Code code, int memoryMb, Duration timeout,
        Dictionary<string, string> environment, ILayerVersion[]? layers = null) =>
        new(this, $"{name}Function", new FunctionProps
        {
            Description = description,
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.X86_64,
            Handler = handler,
            Code = code,
            Layers = layers,
            MemorySize = memoryMb,
            Timeout = timeout,
            Tracing = Tracing.ACTIVE,
            LogGroup = new LogGroup(this, $"{name}Logs", new Amazon.CDK.AWS.Logs.LogGroupProps
            {
                Retention = RetentionDays.THREE_MONTHS,
                RemovalPolicy = RemovalPolicy.DESTROY,
            }),
            Environment = environment,
        });

    public Function Api { get; }

    public HttpApi HttpApi { get; }
}
