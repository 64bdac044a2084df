using System.Globalization;
using Lethe.Aws.Audit;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;
using Lethe.Aws.Exports;
using Lethe.Aws.Jobs;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Aws.Tenants;
using Lethe.Domain.Crypto;
using Lethe.Domain.Exports;
using Lethe.Domain.Records;

namespace Lethe.Functions.Exports;

/// <summary>The adapters of the export handlers, built once per process on first use, from the environment the CDK app or the local cloud sets.</summary>
public sealed class ExportComposition(TimeProvider clock)
{
    /// <summary>Volume limits (DESIGN.md: 2 GB); set lower locally so tests see several volumes without gigabytes of data.</summary>
    public const string VolumeBytesVariable = "LETHE_EXPORT_VOLUME_BYTES";
    public const string VolumeItemsVariable = "LETHE_EXPORT_VOLUME_ITEMS";

    private readonly Lazy<ExportSteps> _steps = new(() => Build(clock));

    public ExportSteps Steps => _steps.Value;

    public static ExportLimits LimitsFromEnvironment()
    {
        static long Read(string name, long fallback)
        {
            var text = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }

            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new InvalidOperationException($"{name} must be a positive whole number, not '{text}'.");
        }

        var defaults = ExportLimits.Default;
        return defaults with
        {
            VolumeBytes = Read(VolumeBytesVariable, defaults.VolumeBytes),
            VolumeItems = (int)Math.Min(int.MaxValue, Read(VolumeItemsVariable, defaults.VolumeItems)),
        };
    }

    private static ExportSteps Build(TimeProvider clock)
    {
        var shared = new Jobs.WorkflowAdapters(clock);
        var (names, dynamo, s3, keys) = (shared.Names, shared.Dynamo, shared.S3, shared.Keys);
        var records = new DynamoRecordStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), names.Table(ResourceCatalog.Keys), shared.Locks);
        var chain = new DynamoAuditChainStore(dynamo, names.Table(ResourceCatalog.Audit));
        var readers = new ExportReaders(
            records,
            new RecordService(keys, records, clock),
            new DynamoConsentStore(dynamo, names.Table(ResourceCatalog.Records), names.Table(ResourceCatalog.Inventory), shared.Locks),
            chain,
            s3,
            logical => names.Bucket(ResourceCatalog.BucketNamed(logical)));
        return new ExportSteps(new ExportPorts(
            shared.Jobs,
            shared.Tenants,
            new DynamoExportInventory(dynamo, names.Table(ResourceCatalog.Inventory), readers),
            new S3ExportStore(s3, names.Bucket(ResourceCatalog.Exports)),
            new DynamoExportVolumes(dynamo, names.Table(ResourceCatalog.Inventory), shared.Locks),
            shared.Journal,
            chain,
            LimitsFromEnvironment(),
            clock));
    }
}
