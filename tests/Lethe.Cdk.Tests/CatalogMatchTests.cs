using System.Text.Json;
using Lethe.Catalog;

namespace Lethe.Tests.Cdk;

/// <summary>The local cloud builds its resources from <see cref="ResourceCatalog"/>; the template must say the same.</summary>
public sealed class CatalogMatchTests(SynthesizedApp synth)
{
    private JsonElement TableFor(TableDefinition definition) =>
        SynthesizedApp.Resources(synth.StatefulJson, "AWS::DynamoDB::Table")
            .Single(t => t.LogicalId.StartsWith(definition.LogicalName, StringComparison.Ordinal)).Properties;

    private static List<(string Name, string Type)> KeySchema(JsonElement schema) =>
        schema.EnumerateArray().Select(k => (k.GetProperty("AttributeName").GetString()!, k.GetProperty("KeyType").GetString()!)).ToList();

    public static TheoryData<string> TableNames() => new(ResourceCatalog.Tables.Select(t => t.LogicalName));

    [Theory]
    [MemberData(nameof(TableNames))]
    public void Each_catalog_table_has_the_same_keys_indexes_stream_and_ttl_in_the_template(string logicalName)
    {
        var definition = ResourceCatalog.Tables.Single(t => t.LogicalName == logicalName);
        var table = TableFor(definition);

        KeySchema(table.GetProperty("KeySchema")).Should().Equal((definition.PartitionKey.Name, "HASH"), (definition.SortKey.Name, "RANGE"));
        var indexes = table.TryGetProperty("GlobalSecondaryIndexes", out var gsis) ? gsis.EnumerateArray().ToList() : [];
        indexes.Select(i => i.GetProperty("IndexName").GetString()).Should().BeEquivalentTo(definition.GlobalIndexes.Select(i => i.Name));
        foreach (var index in definition.GlobalIndexes)
        {
            var cfn = indexes.Single(i => i.GetProperty("IndexName").GetString() == index.Name);
            var expected = new List<(string, string)> { (index.PartitionKey.Name, "HASH") };
            if (index.SortKey is not null)
            {
                expected.Add((index.SortKey.Name, "RANGE"));
            }

            KeySchema(cfn.GetProperty("KeySchema")).Should().Equal(expected);
        }

        var attributes = table.GetProperty("AttributeDefinitions").EnumerateArray()
            .ToDictionary(a => a.GetProperty("AttributeName").GetString()!, a => a.GetProperty("AttributeType").GetString());
        foreach (var key in new[] { definition.PartitionKey, definition.SortKey }.Concat(definition.GlobalIndexes.SelectMany(i => new[] { i.PartitionKey, i.SortKey }.OfType<KeyAttribute>())))
        {
            attributes[key.Name].Should().Be(key.Type == KeyAttributeType.Number ? "N" : "S");
        }

        table.TryGetProperty("StreamSpecification", out var stream).Should().Be(definition.StreamNewImages);
        if (definition.StreamNewImages)
        {
            stream.GetProperty("StreamViewType").GetString().Should().Be("NEW_IMAGE");
        }

        if (definition.TimeToLiveAttribute is { } ttl)
        {
            table.GetProperty("TimeToLiveSpecification").GetProperty("AttributeName").GetString().Should().Be(ttl);
        }
    }

    [Fact]
    public void The_template_holds_exactly_the_catalog_buckets_keys_and_queues()
    {
        foreach (var bucket in ResourceCatalog.Buckets)
        {
            SynthesizedApp.Resources(synth.StatefulJson, "AWS::S3::Bucket").Should().ContainSingle(b => b.LogicalId.StartsWith(bucket.LogicalName + "", StringComparison.Ordinal) && !b.LogicalId.StartsWith(bucket.LogicalName + "Policy", StringComparison.Ordinal), bucket.LogicalName);
        }

        SynthesizedApp.Resources(synth.StatefulJson, "AWS::KMS::Key").Select(k => k.LogicalId)
            .Should().HaveCount(ResourceCatalog.KmsKeys.Count).And.OnlyContain(id => ResourceCatalog.KmsKeys.Any(k => id.StartsWith(k.LogicalName, StringComparison.Ordinal)));
        SynthesizedApp.Resources(synth.StatefulJson, "AWS::SQS::Queue").Select(q => q.LogicalId)
            .Should().Contain(id => id.StartsWith(ResourceCatalog.IngestQueue.LogicalName, StringComparison.Ordinal))
            .And.Contain(id => id.StartsWith(ResourceCatalog.IngestQueue.DeadLetterLogicalName, StringComparison.Ordinal));
    }

    [Fact]
    public void Functions_learn_physical_names_only_through_the_catalog_variables()
    {
        var api = SynthesizedApp.Resources(synth.StatelessJson, "AWS::Lambda::Function")
            .Single(f => f.LogicalId.StartsWith("ApiFunction", StringComparison.Ordinal)).Properties;

        var variables = api.GetProperty("Environment").GetProperty("Variables");
        var tenants = variables.GetProperty(ResourceCatalog.Tenants.NameVariable);
        tenants.ValueKind.Should().Be(JsonValueKind.Object, "a reference to the stateful stack, never a hard-coded name");
        tenants.GetRawText().Should().Contain("Tenants");
    }
}
