using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration.Internal;

/// <summary>
/// Reads the config text into YamlDotNet's node model (every node keeps its line and column),
/// turning every way that can fail into a <see cref="ConfigException"/>.
/// </summary>
/// <remarks>
/// A first pass over the parser's events finds what the node model reports badly or not at all:
/// duplicate keys (the node model names neither the path nor the first occurrence), a second
/// document, and scanner failures that escape as a bare InvalidOperationException (an unclosed
/// <c>[</c> in YamlDotNet 16.3).
/// </remarks>
internal static class YamlDocumentReader
{
    /// <summary>The root mapping, or null when the file holds no document or only an empty one.</summary>
    public static YamlMappingNode? Read(string yaml, ConfigContext context)
    {
        CheckEvents(yaml, context);

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw YamlSyntaxErrors.Translate(e, yaml, context);
        }

        if (stream.Documents.Count == 0)
        {
            return null;
        }

        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode mapping => mapping,
            YamlScalarNode scalar when ConfigSection.IsNull(scalar) => null,
            var other => throw new ConfigException(
                context.At(other.Start, ""),
                $"the file must be a mapping of keys (version, state, server, connections, syncs), not {ConfigSection.Describe(other)}",
                "start from the complete example in docs/config.md"),
        };
    }

    private static void CheckEvents(string yaml, ConfigContext context)
    {
        var parser = new Parser(new StringReader(yaml));
        var frames = new Stack<Frame>();
        var documents = 0;
        var lastGood = Mark.Empty;
        while (true)
        {
            try
            {
                if (!parser.MoveNext())
                {
                    return;
                }
            }
            catch (YamlException e)
            {
                throw YamlSyntaxErrors.Translate(e, yaml, context);
            }
            catch (InvalidOperationException)
            {
                throw new ConfigException(
                    context.At(lastGood, ""),
                    "invalid YAML: the file cannot be read past this point",
                    "look for an unclosed '[', '{' or quote on this line or the next");
            }

            var current = parser.Current!;
            lastGood = current.End;
            switch (current)
            {
                case DocumentStart:
                    if (++documents > 1)
                    {
                        throw new ConfigException(
                            context.At(current.Start, ""),
                            "the file holds more than one YAML document ('---'); Sluice reads exactly one",
                            "remove the '---' line and merge the documents");
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    frames.Pop();
                    break;
                case NodeEvent node:
                    var path = Enter(frames, node, context);
                    if (node is MappingStart)
                    {
                        frames.Push(new Frame(path, isMapping: true));
                    }
                    else if (node is SequenceStart)
                    {
                        frames.Push(new Frame(path, isMapping: false));
                    }

                    break;
            }
        }
    }

    /// <summary>Accounts for a node inside its parent; returns the node's key path.</summary>
    private static string Enter(Stack<Frame> frames, NodeEvent node, ConfigContext context)
    {
        if (!frames.TryPeek(out var parent))
        {
            return "";
        }

        if (!parent.IsMapping)
        {
            return $"{parent.Path}[{parent.Index++}]";
        }

        if (parent.ExpectingKey)
        {
            parent.ExpectingKey = false;
            if (node is Scalar key)
            {
                var path = ConfigSection.Join(parent.Path, key.Value);
                if (!parent.Seen.TryAdd(key.Value, key.Start))
                {
                    throw new ConfigException(
                        context.At(key.Start, path),
                        $"duplicate key '{key.Value}' (it is already set at line {parent.Seen[key.Value].Line})",
                        "keep one of the two");
                }

                parent.CurrentKey = key.Value;
            }
            else
            {
                parent.CurrentKey = "?";
            }

            return parent.Path;
        }

        parent.ExpectingKey = true;
        return ConfigSection.Join(parent.Path, parent.CurrentKey);
    }

    private sealed class Frame(string path, bool isMapping)
    {
        public string Path { get; } = path;

        public bool IsMapping { get; } = isMapping;

        public Dictionary<string, Mark> Seen { get; } = new(StringComparer.Ordinal);

        public bool ExpectingKey { get; set; } = true;

        public string CurrentKey { get; set; } = "";

        public int Index { get; set; }
    }
}
