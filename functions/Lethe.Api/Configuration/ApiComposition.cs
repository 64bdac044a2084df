using Amazon.DynamoDBv2;
using Amazon.KeyManagementService;
using Amazon.S3;
using Lethe.Api.Auditing;
using Lethe.Api.Endpoints;
using Lethe.Aws.Audit;
using Lethe.Aws.Certificates;
using Lethe.Aws.Composition;
using Lethe.Aws.Configuration;
using Lethe.Aws.Erasure;
using Lethe.Aws.Evidence;
using Lethe.Aws.Exports;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Aws.StepFunctions;
using Lethe.Aws.Tenants;
using Lethe.Catalog;
using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Crypto;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Requests;
using Lethe.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Lethe.Api.Configuration;

/// <summary>
/// The API's ports: the adapters every Lethe process shares (<see cref="AwsAdapters"/>, with the writers' key use) and the
/// ones only the API needs, each built once.
/// </summary>
public static class ApiComposition
{
    public static IServiceCollection AddLetheAdapters(this IServiceCollection services)
    {
        services.AddSingleton(sp => new AwsAdapters(sp.GetRequiredService<TimeProvider>(), SubjectKeyUse.Writers));
        services.AddSingleton(sp => sp.GetRequiredService<AwsAdapters>().Names);
        services.AddSingleton(sp => sp.GetRequiredService<AwsAdapters>().Dynamo);
        services.AddSingleton(sp => sp.GetRequiredService<AwsAdapters>().Kms);
        services.AddSingleton(sp => sp.GetRequiredService<AwsAdapters>().S3);
        // The guard reads the tenant on every request: its profile is reused for a few seconds (Lethe:TenantCacheSeconds).
        services.AddSingleton<ITenantRepository>(sp => new CachedTenantRepository(
            sp.GetRequiredService<AwsAdapters>().Tenants, sp.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<LetheApiOptions>>().Value.TenantCacheSeconds)));
        services.AddSingleton<IAuditJournal>(sp => sp.GetRequiredService<AwsAdapters>().Journal);
        // Every write for a subject checks its erasure lock inside the write's own transaction (KEKs, records, consents, export volumes).
        services.AddSingleton(sp => sp.GetRequiredService<AwsAdapters>().Locks);
        services.AddSingleton<IKeyHierarchy>(sp => sp.GetRequiredService<AwsAdapters>().Keys);
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<AwsAdapters>().Jobs);

        AddAudit(services);
        AddKeys(services);
        AddRecords(services);
        AddJobs(services);
        return services;
    }

    private static ResourceNames Names(IServiceProvider sp) => sp.GetRequiredService<ResourceNames>();

    private static IAmazonDynamoDB Dynamo(IServiceProvider sp) => sp.GetRequiredService<IAmazonDynamoDB>();

    private static void AddAudit(IServiceCollection services)
    {
        services.AddSingleton<ILegalHoldRepository>(sp => new DynamoLegalHoldRepository(Dynamo(sp), Names(sp).Table(ResourceCatalog.Tenants)));
        services.AddSingleton<AuditRecorder>();
        services.AddSingleton<SecurityLog>();
        services.AddHostedService<SecurityLogWriter>();
        services.AddSingleton(sp => new DynamoAuditChainStore(Dynamo(sp), Names(sp).Table(ResourceCatalog.Audit)));
        services.AddSingleton<IAuditChainStore>(sp => sp.GetRequiredService<DynamoAuditChainStore>());
        services.AddSingleton(sp => new KmsEvidenceSigner(
            sp.GetRequiredService<IAmazonKeyManagementService>(), Names(sp).Key(ResourceCatalog.SigningKey),
            sp.GetRequiredService<IOptions<LetheApiOptions>>().Value.PreviousSigningKeyIds));
        services.AddSingleton<IEvidenceSigner>(sp => sp.GetRequiredService<KmsEvidenceSigner>());
        services.AddSingleton<IAnchorStore>(sp => new S3AnchorStore(sp.GetRequiredService<IAmazonS3>(), Names(sp).Bucket(ResourceCatalog.AuditArchive)));
        services.AddSingleton<AuditAnchorer>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<ICertificateStore>(sp => new S3CertificateStore(sp.GetRequiredService<IAmazonS3>(), Names(sp).Bucket(ResourceCatalog.Certificates)));
    }

    private static void AddKeys(IServiceCollection services)
    {
        // Who may use a tenant key is written into its policy at creation; outside the local stage the CDK app must say who.
        services.AddSingleton(sp => TenantKeyPolicy.FromEnvironment(requireConfigured: !sp.GetRequiredService<IOptions<LetheApiOptions>>().Value.IsLocal));
        services.AddSingleton(sp => new KmsTenantKeys(
            sp.GetRequiredService<IAmazonKeyManagementService>(), ResourceNames.KeyAliasPrefix(), sp.GetRequiredService<TenantKeyPolicy>()));
        services.AddSingleton<IKeyProbe>(sp => new KmsKeyProbe(
            sp.GetRequiredService<IAmazonKeyManagementService>(), sp.GetRequiredService<KmsTenantKeys>().AliasFor(string.Empty),
            sp.GetRequiredService<TenantKeyPolicy>().Account));
        services.AddSingleton<SubjectRefs>();
    }

    private static void AddRecords(IServiceCollection services)
    {
        services.AddSingleton<IRecordStore>(sp => new DynamoRecordStore(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Inventory), Names(sp).Table(ResourceCatalog.Keys),
            sp.GetRequiredService<ErasureLocks>(), Names(sp).Table(ResourceCatalog.Tenants)));
        services.AddSingleton<RecordService>();
        services.AddSingleton(sp => new SubjectDirectoryReader(Dynamo(sp), Names(sp).Table(ResourceCatalog.Keys), sp.GetRequiredService<IKeyHierarchy>()));
        services.AddSingleton<JobSubjects>();
        services.AddSingleton<IInventory>(sp => new DynamoInventory(Dynamo(sp), Names(sp).Table(ResourceCatalog.Inventory)));
        services.AddSingleton<IConsentStore>(sp => new DynamoConsentStore(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Inventory), sp.GetRequiredService<ErasureLocks>()));
        services.AddSingleton<Lethe.Domain.Documents.IDocumentRenderer, Lethe.Aws.Documents.PdfDocumentRenderer>();
        services.AddSingleton<Domain.Connectors.IConnectorStore>(sp => new Aws.Connectors.DynamoConnectorStore(Dynamo(sp), Names(sp).Table(ResourceCatalog.Tenants), async (tenantId, cancellationToken) =>
        {
            // The sealing key is the tenant's subject-ref key (derived for this purpose), under the tenant's current key.
            var tenant = await sp.GetRequiredService<ITenantRepository>().FindAsync(tenantId, cancellationToken)
                ?? throw new InvalidOperationException($"Tenant {tenantId} does not exist.");
            var keyArn = await sp.GetRequiredService<SubjectRefs>().TenantKeyArnAsync(tenant, cancellationToken);
            return await sp.GetRequiredService<IKeyHierarchy>().GetOrCreateSubjectRefKeyAsync(tenantId, keyArn, cancellationToken);
        }));
        services.AddSingleton<Domain.Ingest.IUploadStore>(sp => new Aws.Ingest.DynamoUploadStore(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Inventory), sp.GetRequiredService<ErasureLocks>()));
        services.AddSingleton<Domain.Ingest.IUploadLinks>(sp => new Aws.Ingest.S3UploadLinks(sp.GetRequiredService<IAmazonS3>(), Names(sp).Bucket(ResourceCatalog.Ingest)));
        services.AddSingleton<Domain.Connectors.IConnectorCalls>(sp => new Aws.Connectors.DynamoConnectorCalls(Dynamo(sp), Names(sp).Table(ResourceCatalog.Tenants)));
        services.AddSingleton<Domain.Connectors.ITaskCallbacks>(sp => new Aws.Connectors.StepFunctionsTaskCallbacks(sp.GetRequiredService<StepFunctionsClient>()));
        services.AddSingleton<Domain.Ingest.IReviewStore>(sp => new Aws.Ingest.DynamoReviewStore(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Inventory), sp.GetRequiredService<ErasureLocks>()));
        services.AddSingleton<Domain.Ingest.ReviewDecisions>();
        services.AddSingleton<IRestrictionStore>(sp => new DynamoRestrictionStore(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Inventory), sp.GetRequiredService<ErasureLocks>()));
        services.AddSingleton<IExportVolumeRegistry>(sp => new DynamoExportVolumes(Dynamo(sp), Names(sp).Table(ResourceCatalog.Inventory), sp.GetRequiredService<ErasureLocks>()));
        services.AddSingleton(sp => new S3ExportStore(sp.GetRequiredService<IAmazonS3>(), Names(sp).Bucket(ResourceCatalog.Exports)));
    }

    private static void AddJobs(IServiceCollection services)
    {
        services.AddSingleton<IErasureInventory>(sp => new DynamoErasureInventory(
            Dynamo(sp), Names(sp).Table(ResourceCatalog.Inventory), Names(sp).Table(ResourceCatalog.Records), Names(sp).Table(ResourceCatalog.Tenants),
            logical => Names(sp).Table(ResourceCatalog.TableNamed(logical))));
        services.AddSingleton<IHoldCheck>(sp => new LegalHoldCheck(sp.GetRequiredService<ILegalHoldRepository>()));
        services.AddSingleton(sp => new StepFunctionsClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("stepfunctions"), StepFunctionsClientOptions.FromEnvironment()));
        services.AddSingleton<IWorkflowStarter>(sp => new StepFunctionsWorkflowStarter(
            sp.GetRequiredService<StepFunctionsClient>(), type => Names(sp).Workflow(JobTypes.Workflow(type))));
        // The console links each execution to the Step Functions console in AWS; the local cloud (an endpoint override) has none.
        services.AddSingleton<IExecutionHistory>(sp =>
        {
            var options = StepFunctionsClientOptions.FromEnvironment();
            return new StepFunctionsExecutionHistory(sp.GetRequiredService<StepFunctionsClient>(), type => Names(sp).Workflow(JobTypes.Workflow(type)),
                options.ServiceUrl is null ? options.Region.SystemName : null);
        });
        // Notices go through workflows/notify.asl.json (one execution per notice); a deployment without it fails on first use.
        services.AddSingleton<Domain.Notifications.INotifications>(sp => new Aws.Notifications.StepFunctionsNotifications(
            sp.GetRequiredService<StepFunctionsClient>(),
            Names(sp).Workflow(Handlers.NotifyWorkflow)
                ?? throw new InvalidOperationException($"The notify workflow is not configured: set {Variables.Workflow(Handlers.NotifyWorkflow)}.")));
        services.AddSingleton<Domain.Notifications.IEmailSubscriptions>(sp => new Aws.Notifications.StepFunctionsEmailSubscriptions(
            sp.GetRequiredService<StepFunctionsClient>(),
            Names(sp).Workflow(Handlers.EmailSubscriptionsWorkflow)
                ?? throw new InvalidOperationException($"The e-mail subscriptions workflow is not configured: set {Variables.Workflow(Handlers.EmailSubscriptionsWorkflow)}."),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Domain.Notifications.INotificationOutbox>(sp => new Aws.Notifications.DynamoNotificationOutbox(Dynamo(sp), Names(sp).Table(ResourceCatalog.Jobs)));
        services.AddSingleton(sp => new RequestService(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<IHoldCheck>(),
            sp.GetRequiredService<IErasureInventory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Domain.Notifications.INotifications>()));
        services.AddSingleton(sp => new RequestApprovals(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<IHoldCheck>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Domain.Retention.RetentionSweepRequests(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Domain.KeyRotation.KeyRotationRequests(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<KmsTenantKeys>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Domain.Offboarding.TenantOffboardingRequests(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Domain.Replay.ErasureReplayRequests(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Domain.Archive.ArchiveRetrievalRequests(
            sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<IErasureInventory>(), sp.GetRequiredService<IWorkflowStarter>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new S3FileLinks(sp.GetRequiredService<IAmazonS3>(), logical => Names(sp).Bucket(ResourceCatalog.BucketNamed(logical))));
    }
}
