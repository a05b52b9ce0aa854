"""The sentence model all-MiniLM-L6-v2: its tokenizer and layers in NumPy, and its ONNX export."""
