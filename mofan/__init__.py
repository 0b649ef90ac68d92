"""mofan: the system of record for 模范机关创建 campaigns."""
